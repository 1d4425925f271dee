#include <stdint.h>
#include <stdbool.h>

/* Largest element of a non-empty array: loop, branch, array argument. */
int32_t MaxArray(int32_t a[16], int32_t a_len) {
#pragma HLS interface mode=ap_memory port=a
    int32_t m = a[0];
    int32_t k = 1;
    while (k < a_len) {
#pragma HLS pipeline II=1
        if (a[k] > m) {
            m = a[k];
        }
        k = k + 1;
    }
    return m;
}
