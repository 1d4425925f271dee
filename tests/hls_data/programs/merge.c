#include <stdint.h>

/* Two sorted arrays merged into a third: every array has several load or store ports, which CIRCT's
   handshake-lower-extmem-to-hw mislowers unless the arrays share one memory (a bank); the narrower
   int16_t array is stored in wider words. */
void Merge(int32_t a[8], int32_t a_len, int16_t b[8], int32_t b_len, int32_t c[16], int32_t *c_len) {
    int32_t i = 0;
    int32_t j = 0;
    int32_t k = 0;
    while (i < a_len || j < b_len) {
        if (j >= b_len || (i < a_len && a[i] <= (int32_t)b[j])) {
            c[k] = a[i];
            i++;
        } else {
            c[k] = b[j];
            j++;
        }
        k++;
    }
    *c_len = k;
}
