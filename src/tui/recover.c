/* Recovery files: where they go, their header, finding and checking them. */
#include "tui/recover.h"

#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include "core/error.h"
#include "core/fileio.h"

#define REC_SUFFIX ".mnistlab-recovery"
#define REC_MAGIC "<!-- mnistlab-recovery v1 "
#define REC_MAX 9 /* names per place: NAME, NAME-2 ... NAME-9 */

const char *rec_signame(int sig)
{
    static char buf[32];
    switch (sig) {
    case SIGHUP: return "SIGHUP";
    case SIGTERM: return "SIGTERM";
    case SIGINT: return "SIGINT";
    case SIGQUIT: return "SIGQUIT";
    default: snprintf(buf, sizeof buf, "signal %d", sig); return buf;
    }
}

static unsigned long crc_of(const char *s, size_t n) { return crc32_z(crc32_z(0L, Z_NULL, 0), (const Bytef *)s, n); }

/* The notebook's absolute path (it may not exist). */
static int abs_path(const char *p, char *out, size_t n)
{
    char rp[PATH_MAX];
    if (realpath(p, rp)) return snprintf(out, n, "%s", rp) < (int)n ? 0 : -1;
    if (p[0] == '/') return snprintf(out, n, "%s", p) < (int)n ? 0 : -1;
    char cwd[PATH_MAX];
    if (!getcwd(cwd, sizeof cwd)) return -1;
    return snprintf(out, n, "%s/%s", cwd, p) < (int)n ? 0 : -1;
}

/* $XDG_STATE_HOME/mnistlab/recovery (default ~/.local/state/...). */
static int state_dir(char *out, size_t n)
{
    const char *x = getenv("XDG_STATE_HOME");
    if (x && x[0] == '/') return snprintf(out, n, "%s/mnistlab/recovery", x) < (int)n ? 0 : -1;
    const char *h = getenv("HOME");
    if (!h || !*h) return -1;
    return snprintf(out, n, "%s/.local/state/mnistlab/recovery", h) < (int)n ? 0 : -1;
}

static void mkdirs(const char *dir)
{
    char p[PATH_MAX];
    snprintf(p, sizeof p, "%s", dir);
    for (char *s = p + 1; *s; s++)
        if (*s == '/') {
            *s = 0;
            mkdir(p, 0700);
            *s = '/';
        }
    mkdir(p, 0700);
}

/* Candidate k (1..REC_MAX) in place 0 (beside the notebook) or 1 (the state
 * folder). */
static int candidate(const char *nb_path, int place, int k, char *out, size_t n)
{
    char suffix[16] = "";
    if (k > 1) snprintf(suffix, sizeof suffix, "-%d", k);
    if (place == 0) {
        const char *slash = strrchr(nb_path, '/');
        int dirlen = slash ? (int)(slash - nb_path + 1) : 0;
        return snprintf(out, n, "%.*s.%s" REC_SUFFIX "%s", dirlen, nb_path, nb_path + dirlen, suffix) < (int)n ? 0
                                                                                                             : -1;
    }
    char dir[PATH_MAX], abs[PATH_MAX];
    if (state_dir(dir, sizeof dir) || abs_path(nb_path, abs, sizeof abs)) return -1;
    for (char *s = abs; *s; s++)
        if (*s == '/') *s = '%';
    return snprintf(out, n, "%s/%s" REC_SUFFIX "%s", dir, abs, suffix) < (int)n ? 0 : -1;
}

char *rec_write(const char *nb_path, const char *doc, size_t n, int sig, const char *reuse, int shipped)
{
    char abs[PATH_MAX];
    if (abs_path(nb_path, abs, sizeof abs)) snprintf(abs, sizeof abs, "%s", nb_path);
    /* the notebook as it is on disk, to tell later whether it changed since */
    char *orig = NULL;
    size_t on = 0;
    long long orig_bytes = -1;
    unsigned long orig_crc = 0;
    if (ml_read_file(nb_path, &orig, &on) == ML_OK) {
        orig_bytes = (long long)on;
        orig_crc = crc_of(orig, on);
        free(orig);
    }
    char head[PATH_MAX + 256];
    int hl = snprintf(head, sizeof head,
                      REC_MAGIC "time=%lld signal=%d bytes=%zu crc32=%08lx orig_bytes=%lld orig_crc32=%08lx "
                                "notebook=%s -->\n",
                      (long long)time(NULL), sig, n, crc_of(doc, n), orig_bytes, orig_crc, abs);
    if (hl < 0 || (size_t)hl >= sizeof head) {
        ml_fail(ML_EINVAL, "%s: the path is too long for a recovery file", nb_path);
        return NULL;
    }
    char *buf = malloc((size_t)hl + n);
    if (!buf) {
        ml_fail(ML_ENOMEM, "recovery file: out of memory");
        return NULL;
    }
    memcpy(buf, head, (size_t)hl);
    memcpy(buf + hl, doc, n);
    size_t total = (size_t)hl + n;
    char path[PATH_MAX];
    char first_err[512] = "";
    if (reuse && ml_write_file_atomic(reuse, buf, total) == ML_OK) {
        free(buf);
        return strdup(reuse);
    }
    for (int place = shipped ? 1 : 0; place < 2; place++) {
        if (place == 1) {
            char dir[PATH_MAX];
            if (state_dir(dir, sizeof dir)) break;
            mkdirs(dir);
        }
        for (int k = 1; k <= REC_MAX; k++) {
            if (candidate(nb_path, place, k, path, sizeof path)) break;
            if (access(path, F_OK) == 0) continue; /* another one, kept: never overwritten */
            if (ml_write_file_atomic(path, buf, total) == ML_OK) {
                free(buf);
                return strdup(path);
            }
            if (!first_err[0]) snprintf(first_err, sizeof first_err, "%s", ml_last_error());
            break; /* this place cannot be written: the next one */
        }
    }
    free(buf);
    ml_fail(ML_EIO, "%s", first_err[0] ? first_err : "no place left for a recovery file");
    return NULL;
}

/* Reads and checks one recovery file. */
static void load(const char *nb_path, rec_file *r)
{
    struct stat st;
    if (stat(r->path, &st) == 0) r->when = st.st_mtime;
    char *text = NULL;
    size_t n = 0;
    if (ml_read_file(r->path, &text, &n) != ML_OK) {
        r->unreadable = 1;
        snprintf(r->why, sizeof r->why, "%s", ml_last_error());
        return;
    }
    size_t ml = strlen(REC_MAGIC);
    const char *nl = memchr(text, '\n', n);
    if (n < ml || memcmp(text, REC_MAGIC, ml) != 0 || !nl) {
        r->damaged = 1;
        snprintf(r->why, sizeof r->why, "its first line is not a mnistlab recovery header");
        free(text);
        return;
    }
    long long when = 0, orig_bytes = -1;
    int sig = 0;
    size_t bytes = 0;
    unsigned long crc = 0, orig_crc = 0;
    char line[PATH_MAX + 256];
    size_t hl = (size_t)(nl - text);
    snprintf(line, sizeof line, "%.*s", (int)(hl < sizeof line ? hl : sizeof line - 1), text);
    if (sscanf(line + ml, "time=%lld signal=%d bytes=%zu crc32=%lx orig_bytes=%lld orig_crc32=%lx", &when, &sig,
               &bytes, &crc, &orig_bytes, &orig_crc) != 6) {
        r->damaged = 1;
        snprintf(r->why, sizeof r->why, "its header line is damaged");
        free(text);
        return;
    }
    r->when = (time_t)when;
    r->sig = sig;
    const char *doc = nl + 1;
    size_t dn = n - (size_t)(doc - text);
    if (dn != bytes) {
        r->damaged = 1;
        snprintf(r->why, sizeof r->why, "it holds %zu bytes of the %zu it had when written%s", dn, bytes,
                 dn < bytes ? " (truncated)" : "");
        free(text);
        return;
    }
    if (crc_of(doc, dn) != crc) {
        r->damaged = 1;
        snprintf(r->why, sizeof r->why, "its checksum does not match (CRC-32 %08lx, expected %08lx)", crc_of(doc, dn),
                 crc);
        free(text);
        return;
    }
    r->doc = malloc(dn + 1);
    if (!r->doc) {
        r->unreadable = 1;
        snprintf(r->why, sizeof r->why, "out of memory");
        free(text);
        return;
    }
    memcpy(r->doc, doc, dn);
    r->doc[dn] = 0;
    r->n = dn;
    free(text);
    /* has the notebook changed on disk since? */
    char *orig = NULL;
    size_t on = 0;
    if (ml_read_file(nb_path, &orig, &on) == ML_OK) {
        r->orig_changed = orig_bytes != (long long)on || crc_of(orig, on) != orig_crc;
        free(orig);
    } else {
        r->orig_changed = orig_bytes >= 0;
    }
}

static int newest_first(const void *a, const void *b)
{
    const rec_file *x = a, *y = b;
    return x->when < y->when ? 1 : x->when > y->when ? -1 : 0;
}

int rec_find(const char *nb_path, rec_file **out)
{
    rec_file *r = NULL;
    int n = 0;
    for (int place = 0; place < 2; place++)
        for (int k = 1; k <= REC_MAX; k++) {
            char path[PATH_MAX];
            struct stat st;
            if (candidate(nb_path, place, k, path, sizeof path)) break;
            if (lstat(path, &st) != 0) continue;
            rec_file *r2 = realloc(r, sizeof *r * (size_t)(n + 1));
            if (!r2) break;
            r = r2;
            memset(&r[n], 0, sizeof r[n]);
            r[n].path = strdup(path);
            if (!r[n].path) break;
            load(nb_path, &r[n]);
            n++;
        }
    if (n > 1) qsort(r, (size_t)n, sizeof *r, newest_first);
    *out = r;
    return n;
}

void rec_free(rec_file *r, int n)
{
    for (int i = 0; i < n; i++) {
        free(r[i].path);
        free(r[i].doc);
    }
    free(r);
}
