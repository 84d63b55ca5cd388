/* mnistlab TUI: recovery files, the unsaved work kept when the program is
 * stopped by SIGHUP (the terminal or SSH connection went away) or SIGTERM.
 *
 * A recovery file sits beside its notebook, hidden:
 *     dir/NAME.md  ->  dir/.NAME.md.mnistlab-recovery
 * (then -2 ... -9 when an older one is kept for later).  When that folder
 * cannot be written, and for the built-in lab, it goes to
 *     $XDG_STATE_HOME/mnistlab/recovery/   (default ~/.local/state/...)
 * named after the notebook's absolute path with '/' as '%'.
 *
 * Its first line is a header (an HTML comment) naming the notebook, the
 * time and the signal, with the size and CRC-32 of the document below it
 * and of the notebook as it was on disk; the rest is the whole notebook,
 * outputs included, exactly as a save would have written it.  Remove the
 * first line and it is the notebook.  Files are written atomically
 * (core/fileio.h). */
#ifndef ML_TUI_RECOVER_H
#define ML_TUI_RECOVER_H

#include <stddef.h>
#include <time.h>

typedef struct rec_file {
    char *path;       /* the recovery file */
    time_t when;      /* when it was written (the header's time, else its mtime) */
    int sig;          /* the signal that stopped mnistlab (0: unknown) */
    int unreadable;   /* it could not be read: see why */
    int damaged;      /* not a recovery file, truncated or a checksum mismatch: see why */
    char why[256];
    char *doc;        /* intact: the notebook it holds */
    size_t n;
    int orig_changed; /* the notebook on disk is no longer what it was then */
} rec_file;

/* Recovery files of the notebook at nb_path, newest first; returns how many
 * (*out is malloc'ed, free with rec_free). */
int rec_find(const char *nb_path, rec_file **out);
void rec_free(rec_file *r, int n);

/* Writes the document as a recovery file of nb_path, overwriting `reuse`
 * (the file restored this session, or NULL) but no other recovery file;
 * beside the notebook unless `shipped` (the built-in lab, whose folder is
 * the program's: then in the state folder).  Returns the path written
 * (malloc'ed), or NULL with ml_last_error(). */
char *rec_write(const char *nb_path, const char *doc, size_t n, int sig, const char *reuse, int shipped);

/* The signal's name ("SIGHUP"). */
const char *rec_signame(int sig);

#endif
