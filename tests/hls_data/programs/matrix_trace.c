#include <stdint.h>

/* A 2-D array argument with run-time rows/cols, 64-bit accumulation, a do/while loop. */
int64_t Trace(int32_t m[4][4], int32_t m_rows, int32_t m_cols) {
    int64_t s = 0;
    int32_t n = m_rows < m_cols ? m_rows : m_cols;
    int32_t i = 0;
    if (n > 0) {
        do {
            s += (int64_t)m[i][i];
            i++;
        } while (i < n);
    }
    return s;
}
