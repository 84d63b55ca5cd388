#include "fixture.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

double *fixture(const char *path, const char *name, int64_t *n)
{
    FILE *f = fopen(path, "r");
    if (!f) return NULL;
    static char line[1 << 20];
    double *out = NULL;
    size_t len = strlen(name);
    while (fgets(line, sizeof line, f)) {
        if (strncmp(line, name, len) != 0 || line[len] != ' ') continue;
        char *p = line + len, *end;
        long long cnt = strtoll(p, &end, 10);
        p = end;
        out = malloc((size_t)(cnt ? cnt : 1) * sizeof *out);
        for (long long i = 0; out && i < cnt; i++) {
            out[i] = strtod(p, &end);
            p = end;
        }
        *n = cnt;
        break;
    }
    fclose(f);
    return out;
}
