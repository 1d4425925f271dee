#include <stdint.h>

/* An array result: a local array, then a copy out; r_len through a pointer. */
void Reverse(int32_t a[16], int32_t a_len, int32_t r[16], int32_t *r_len) {
    int32_t tmp[16] = {0};
    int32_t i = 0;
    while (i < a_len) {
        tmp[a_len - 1 - i] = a[i];
        i = i + 1;
    }
    for (int32_t j = 0; j < a_len; j++) {
        r[j] = tmp[j];
    }
    *r_len = a_len;
}
