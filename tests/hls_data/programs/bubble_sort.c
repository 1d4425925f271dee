#include <stdint.h>
#include <stdbool.h>

/* In-place update of an array argument: nested loops, read-modify-write, a bool flag, early exit. */
void BubbleSort(int32_t a[16], int32_t a_len) {
    for (int32_t i = 0; i < a_len; i++) {
        bool swapped = false;
        for (int32_t j = 0; j + 1 < a_len - i; j++) {
            int32_t x = a[j];
            int32_t y = a[j + 1];
            if (x > y) {
                a[j] = y;
                a[j + 1] = x;
                swapped = true;
            }
        }
        if (!swapped) {
            break;
        }
    }
}
