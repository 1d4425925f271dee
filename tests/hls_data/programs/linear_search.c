#include <stdint.h>
#include <stdbool.h>

/* Early return from inside a loop, continue, && with an array load, a bool input. */
int32_t LinearSearch(int32_t a[16], int32_t a_len, int32_t key, bool skip_negative) {
    for (int32_t i = 0; i < a_len; i++) {
        if (skip_negative && a[i] < 0) {
            continue;
        }
        if (a[i] == key) {
            return i;
        }
    }
    return -1;
}
