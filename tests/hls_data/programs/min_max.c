#include <stdint.h>

/* Several outputs through pointers, a for loop, ?: selections. */
void MinMax(int32_t a[16], int32_t a_len, int32_t *lo, int32_t *hi) {
    int32_t l = a[0];
    int32_t h = a[0];
    for (int32_t i = 1; i < a_len; i++) {
        int32_t x = a[i];
        l = x < l ? x : l;
        h = x > h ? x : h;
    }
    *lo = l;
    *hi = h;
}
