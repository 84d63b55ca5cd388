/* Replays files through a fuzz harness without libFuzzer, so that the seed
 * corpora and every crash ever found run in the normal test suite (and under
 * the sanitizers with make check-asan).  Prints TAP. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int main(int argc, char **argv)
{
    printf("1..%d\n", argc - 1);
    for (int i = 1; i < argc; i++) {
        FILE *f = fopen(argv[i], "rb");
        if (!f) {
            printf("not ok %d - %s: cannot open\n", i, argv[i]);
            continue;
        }
        size_t cap = 1 << 16, n = 0;
        unsigned char *buf = malloc(cap);
        size_t got;
        while (buf && (got = fread(buf + n, 1, cap - n, f)) > 0) {
            n += got;
            if (n == cap) {
                unsigned char *nb = realloc(buf, cap *= 2);
                if (!nb) break;
                buf = nb;
            }
        }
        fclose(f);
        LLVMFuzzerTestOneInput(buf, n); /* a crash ends the program: the runner reports it */
        free(buf);
        printf("ok %d - %s\n", i, argv[i]);
    }
    return 0;
}
