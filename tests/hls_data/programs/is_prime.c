#include <stdint.h>
#include <stdbool.h>

/* The function's exit is reached from three places (an early return, a return inside the loop, the end):
   lower-cf-to-handshake needs insert-merge-blocks first. */
bool IsPrime(int32_t n) {
    if (n < 2) {
        return false;
    }
    for (int32_t d = 2; d < n; d++) {
        if (n % d == 0) {
            return false;
        }
    }
    return true;
}
