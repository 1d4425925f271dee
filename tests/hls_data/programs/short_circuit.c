#include <stdint.h>

/* && with a side-effecting helper (branch) next to && of pure comparisons (and); a pointer to a local. */
static int32_t bump(int32_t *c) {
    *c = *c + 1;
    return *c;
}

int32_t ShortCircuit(int32_t x) {
    int32_t calls = 0;
    if (x > 0 && bump(&calls) > 0) {
        x = x + 1;
    }
    int32_t pure = (x > 1 && x < 5) ? 1 : 0;
    return calls * 10 + pure;
}
