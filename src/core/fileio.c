#include "core/fileio.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static char *dir_of(const char *path)
{
    const char *slash = strrchr(path, '/');
    if (!slash) return strdup(".");
    if (slash == path) return strdup("/");
    return strndup(path, (size_t)(slash - path));
}

ml_status ml_afile_open(ml_afile *f, const char *path)
{
    memset(f, 0, sizeof *f);
    size_t n = strlen(path);
    f->path = strdup(path);
    f->tmp = malloc(n + 16);
    if (!f->path || !f->tmp) {
        ml_afile_abort(f);
        return ml_fail(ML_ENOMEM, "%s: out of memory", path);
    }
    /* ".name.tmpXXXXXX" beside the target, so that rename() stays on one file system. */
    const char *slash = strrchr(path, '/');
    size_t dirlen = slash ? (size_t)(slash - path + 1) : 0;
    memcpy(f->tmp, path, dirlen);
    snprintf(f->tmp + dirlen, n + 16 - dirlen, ".%s.XXXXXX", path + dirlen);
    int fd = mkstemp(f->tmp);
    if (fd < 0) {
        ml_status st = ml_fail(ML_EIO, "%s: cannot create a temporary file beside it: %s", path, strerror(errno));
        free(f->tmp);
        f->tmp = NULL;
        ml_afile_abort(f);
        return st;
    }
    /* Keep the mode of the file we replace, else the usual 0666 & ~umask. */
    struct stat st;
    mode_t mode;
    if (stat(path, &st) == 0) {
        mode = st.st_mode & 07777;
    } else {
        mode_t um = umask(0);
        umask(um);
        mode = 0666 & ~um;
    }
    if (fchmod(fd, mode) != 0) { /* not fatal */
    }
    f->fp = fdopen(fd, "wb");
    if (!f->fp) {
        close(fd);
        ml_afile_abort(f);
        return ml_fail(ML_EIO, "%s: %s", path, strerror(errno));
    }
    return ML_OK;
}

void ml_afile_abort(ml_afile *f)
{
    if (f->fp) fclose(f->fp);
    if (f->tmp) unlink(f->tmp);
    free(f->tmp);
    free(f->path);
    memset(f, 0, sizeof *f);
}

ml_status ml_afile_commit(ml_afile *f)
{
    ml_status st = ML_OK;
    if (fflush(f->fp) != 0 || ferror(f->fp) || fsync(fileno(f->fp)) != 0) {
        st = ml_fail(ML_EIO, "%s: write failed: %s", f->path, strerror(errno));
        ml_afile_abort(f);
        return st;
    }
    int rc = fclose(f->fp);
    f->fp = NULL;
    if (rc != 0) {
        st = ml_fail(ML_EIO, "%s: write failed: %s", f->path, strerror(errno));
        ml_afile_abort(f);
        return st;
    }
    if (rename(f->tmp, f->path) != 0) {
        st = ml_fail(ML_EIO, "%s: cannot replace it: %s", f->path, strerror(errno));
        ml_afile_abort(f);
        return st;
    }
    char *dir = dir_of(f->path);
    if (dir) {
        int dfd = open(dir, O_RDONLY | O_DIRECTORY);
        if (dfd >= 0) {
            fsync(dfd);
            close(dfd);
        }
        free(dir);
    }
    free(f->tmp);
    f->tmp = NULL;
    ml_afile_abort(f);
    return ML_OK;
}

ml_status ml_write_file_atomic(const char *path, const void *data, size_t n)
{
    ml_afile f;
    ml_status st = ml_afile_open(&f, path);
    if (st) return st;
    if (n && fwrite(data, 1, n, f.fp) != n) {
        st = ml_fail(ML_EIO, "%s: write failed: %s", path, strerror(errno));
        ml_afile_abort(&f);
        return st;
    }
    return ml_afile_commit(&f);
}

ml_status ml_read_file(const char *path, char **data, size_t *n)
{
    *data = NULL;
    *n = 0;
    FILE *fp = fopen(path, "rb");
    if (!fp) return ml_fail(errno == ENOENT ? ML_ENOTFOUND : ML_EIO, "%s: %s", path, strerror(errno));
    size_t cap = 1 << 16, len = 0;
    char *buf = malloc(cap);
    while (buf) {
        size_t got = fread(buf + len, 1, cap - len - 1, fp);
        len += got;
        if (len + 1 < cap) break;
        char *nb = realloc(buf, cap * 2);
        if (!nb) {
            free(buf);
            buf = NULL;
            break;
        }
        buf = nb;
        cap *= 2;
    }
    int err = ferror(fp);
    fclose(fp);
    if (!buf) return ml_fail(ML_ENOMEM, "%s: out of memory", path);
    if (err) {
        free(buf);
        return ml_fail(ML_EIO, "%s: read error", path);
    }
    buf[len] = '\0';
    *data = buf;
    *n = len;
    return ML_OK;
}
