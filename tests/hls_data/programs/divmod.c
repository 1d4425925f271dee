#include <stdint.h>

/* Static helper functions (Euclidean division and modulo as Dafny defines them), called twice. */
static inline int32_t dafny_div(int32_t a, int32_t b) {
    int32_t q = a / b;
    int32_t r = a % b;
    if (r < 0) {
        q = b > 0 ? q - 1 : q + 1;
    }
    return q;
}

static inline int32_t dafny_mod(int32_t a, int32_t b) {
    int32_t r = a % b;
    if (r < 0) {
        r = b > 0 ? r + b : r - b;
    }
    return r;
}

void DivMod(int32_t x, int32_t y, int32_t *q, int32_t *r) {
    *q = dafny_div(x, y);
    *r = dafny_mod(x, y);
}
