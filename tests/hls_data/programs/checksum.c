#include <stdint.h>
#include <stdbool.h>

#define MASK 0xFF

/* Narrow unsigned types that wrap, shifts, xor, a bool result through a pointer, a local lookup table. */
uint8_t Checksum(uint8_t data[8], int32_t data_len, bool *odd) {
    static const uint8_t salt[4] = {3, 5, 7, 11};
    uint8_t acc = 0;
    int32_t ones = 0;
    for (int32_t i = 0; i < data_len; i++) {
        uint8_t d = data[i];
        acc = (uint8_t)(((acc << 1) | (acc >> 7)) ^ d ^ salt[i & 3]);
        uint8_t v = d;
        while (v != 0u) {
            ones += v & 1u;
            v = v >> 1;
        }
    }
    *odd = (ones % 2) == 1;
    return (uint8_t)(acc & MASK);
}
