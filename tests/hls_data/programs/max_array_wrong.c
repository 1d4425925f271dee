#include <stdint.h>

/* A deliberately wrong design: keeps the smallest element (the co-simulation must reject it). */
int32_t MaxArray(int32_t a[16], int32_t a_len) {
    int32_t m = a[0];
    for (int32_t k = 1; k < a_len; k++) {
        if (a[k] < m) {
            m = a[k];
        }
    }
    return m;
}
