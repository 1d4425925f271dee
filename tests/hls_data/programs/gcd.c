#include <stdint.h>

/* A data-dependent while loop with the remainder operator and 64-bit values. */
int64_t Gcd(int64_t a, int64_t b) {
    int64_t x = a < 0 ? -a : a;
    int64_t y = b < 0 ? -b : b;
    while (y != 0) {
        int64_t t = x % y;
        x = y;
        y = t;
    }
    return x;
}
