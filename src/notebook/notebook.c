/* Notebooks: split a Markdown document into prose, cells and outputs while
 * keeping every byte, and write it back.  Fences follow CommonMark: up to
 * three spaces of indentation, three or more backticks or tildes, closed by a
 * run of the same character at least as long with nothing after it; an
 * unterminated fence runs to the end of the document. */
#include "notebook/notebook.h"

#include <stdlib.h>
#include <string.h>

#include "core/fileio.h"

/* ---- lines and fences ---- */

/* End of the line starting at p (just after its '\n', or n). */
static size_t line_end(const char *s, size_t n, size_t p)
{
    const char *q = memchr(s + p, '\n', n - p);
    return q ? (size_t)(q - s) + 1 : n;
}

typedef struct fence {
    char ch;       /* '`' or '~' */
    size_t len;    /* run length */
    size_t indent; /* spaces before it */
    const char *info;
    size_t info_len; /* trimmed */
} fence;

static int is_blank_char(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }

/* An opening fence on line [p, e)? */
static int fence_open(const char *s, size_t p, size_t e, fence *f)
{
    size_t i = p;
    while (i < e && s[i] == ' ' && i - p < 4) i++;
    if (i - p > 3 || i >= e) return 0;
    char c = s[i];
    if (c != '`' && c != '~') return 0;
    size_t j = i;
    while (j < e && s[j] == c) j++;
    if (j - i < 3) return 0;
    size_t a = j, b = e;
    while (a < b && (s[a] == ' ' || s[a] == '\t')) a++;
    while (b > a && is_blank_char(s[b - 1])) b--;
    if (c == '`' && memchr(s + a, '`', b - a)) return 0; /* inline code, not a fence */
    f->ch = c;
    f->len = j - i;
    f->indent = i - p;
    f->info = s + a;
    f->info_len = b - a;
    return 1;
}

/* Does line [p, e) close fence f? */
static int fence_closes(const char *s, size_t p, size_t e, const fence *f)
{
    size_t i = p;
    while (i < e && s[i] == ' ' && i - p < 4) i++;
    if (i - p > 3) return 0;
    size_t j = i;
    while (j < e && s[j] == f->ch) j++;
    if (j - i < f->len) return 0;
    for (; j < e; j++)
        if (!is_blank_char(s[j])) return 0;
    return 1;
}

/* First word of the info string equals w? */
static int info_word(const fence *f, int k, const char *w)
{
    const char *s = f->info, *end = f->info + f->info_len;
    for (int i = 0;; i++) {
        while (s < end && (*s == ' ' || *s == '\t')) s++;
        const char *t = s;
        while (t < end && *t != ' ' && *t != '\t') t++;
        if (i == k) return (size_t)(t - s) == strlen(w) && memcmp(s, w, (size_t)(t - s)) == 0;
        if (t == s) return 0;
        s = t;
    }
}

static int is_cell_fence(const fence *f)
{
    if (info_word(f, 0, "lua")) return 1;
    return info_word(f, 0, "{lua}");
}

static int is_output_fence(const fence *f) { return info_word(f, 0, "output") && info_word(f, 1, "mnistlab"); }

static int all_blank(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (!is_blank_char(s[i])) return 0;
    return 1;
}

/* ---- blocks ---- */

static ml_status push_block(notebook *nb, nb_kind kind, const char *raw, size_t len, int line)
{
    if (nb->nblocks == nb->cap) {
        int cap = nb->cap ? nb->cap * 2 : 16;
        nb_block *b = realloc(nb->blocks, sizeof *b * (size_t)cap);
        if (!b) return ml_fail(ML_ENOMEM, "notebook: out of memory");
        nb->blocks = b;
        nb->cap = cap;
    }
    nb_block *b = &nb->blocks[nb->nblocks];
    memset(b, 0, sizeof *b);
    b->raw = malloc(len + 1);
    if (!b->raw) return ml_fail(ML_ENOMEM, "notebook: out of memory");
    memcpy(b->raw, raw, len);
    b->raw[len] = 0;
    b->len = len;
    b->kind = kind;
    b->line = line;
    nb->nblocks++;
    return ML_OK;
}

static int count_lines(const char *s, size_t a, size_t b)
{
    int k = 0;
    for (size_t i = a; i < b; i++) k += s[i] == '\n';
    return k;
}

ml_status nb_parse(notebook *nb, const char *s, size_t n)
{
    memset(nb, 0, sizeof *nb);
    /* New lines are written in the file's dominant line ending: CRLF when
     * more lines end in it than in a bare LF.  (Not the first line's: a cell
     * left open on a lone CR, closed with LF, would make its first line CRLF
     * and the next read would switch every line written after it.) */
    size_t lines = 0, crlf = 0;
    for (const char *p = s, *end = s + n; (p = memchr(p, '\n', (size_t)(end - p))); p++) {
        lines++;
        crlf += p > s && p[-1] == '\r';
    }
    nb->crlf = crlf > lines - crlf;
    size_t pos = 0, prose = 0;
    int line = 1; /* line number of `prose` */
    while (pos < n) {
        size_t e = line_end(s, n, pos);
        fence f;
        if (!fence_open(s, pos, e, &f)) {
            pos = e;
            continue;
        }
        /* find the end of the fenced block */
        size_t q = e, close_start = n, end = n;
        int closed = 0;
        while (q < n) {
            size_t qe = line_end(s, n, q);
            if (fence_closes(s, q, qe, &f)) {
                closed = 1;
                close_start = q;
                end = qe;
                break;
            }
            q = qe;
        }
        nb_kind kind = NB_PROSE;
        if (is_cell_fence(&f)) kind = NB_CELL;
        else if (is_output_fence(&f) && nb->nblocks > 0 && nb->blocks[nb->nblocks - 1].kind == NB_CELL &&
                 all_blank(s + prose, pos - prose))
            kind = NB_OUTPUT;
        if (kind == NB_PROSE) {
            pos = end;
            continue;
        }
        size_t start = kind == NB_OUTPUT ? prose : pos;
        if (start > prose) {
            if (push_block(nb, NB_PROSE, s + prose, start - prose, line)) goto fail;
            line += count_lines(s, prose, start);
        }
        if (push_block(nb, kind, s + start, end - start, line)) goto fail;
        nb_block *b = &nb->blocks[nb->nblocks - 1];
        b->fence_off = pos - start;
        b->body_off = e - start;
        b->body_len = (closed ? close_start : n) - e;
        b->closed = closed;
        line += count_lines(s, start, end);
        prose = pos = end;
    }
    if (n > prose && push_block(nb, NB_PROSE, s + prose, n - prose, line)) goto fail;
    return ML_OK;
fail:
    nb_free(nb);
    return ML_ENOMEM;
}

ml_status nb_read(notebook *nb, const char *path)
{
    char *text;
    size_t n;
    memset(nb, 0, sizeof *nb);
    ml_status st = ml_read_file(path, &text, &n);
    if (st) return st;
    st = nb_parse(nb, text, n);
    free(text);
    if (st) return st;
    nb->path = strdup(path);
    if (!nb->path) {
        nb_free(nb);
        return ml_fail(ML_ENOMEM, "notebook: out of memory");
    }
    return ML_OK;
}

void nb_free(notebook *nb)
{
    for (int i = 0; i < nb->nblocks; i++) free(nb->blocks[i].raw);
    free(nb->blocks);
    free(nb->path);
    memset(nb, 0, sizeof *nb);
}

char *nb_serialize(const notebook *nb, size_t *n)
{
    size_t total = 0;
    for (int i = 0; i < nb->nblocks; i++) total += nb->blocks[i].len;
    char *out = malloc(total + 1);
    if (!out) {
        ml_fail(ML_ENOMEM, "notebook: out of memory");
        return NULL;
    }
    size_t p = 0;
    for (int i = 0; i < nb->nblocks; i++) {
        memcpy(out + p, nb->blocks[i].raw, nb->blocks[i].len);
        p += nb->blocks[i].len;
    }
    out[p] = 0;
    if (n) *n = p;
    return out;
}

ml_status nb_write(const notebook *nb, const char *path)
{
    size_t n;
    char *text = nb_serialize(nb, &n);
    if (!text) return ML_ENOMEM;
    ml_status st = ml_write_file_atomic(path, text, n);
    free(text);
    return st;
}

int nb_output_of(const notebook *nb, int c)
{
    if (c < 0 || c + 1 >= nb->nblocks || nb->blocks[c].kind != NB_CELL) return -1;
    return nb->blocks[c + 1].kind == NB_OUTPUT ? c + 1 : -1;
}

int nb_ncells(const notebook *nb)
{
    int k = 0;
    for (int i = 0; i < nb->nblocks; i++) k += nb->blocks[i].kind == NB_CELL;
    return k;
}

/* ---- building text ---- */

typedef struct buf {
    char *p;
    size_t n, cap;
    int err;
} buf;

static void put(buf *b, const char *s, size_t n)
{
    if (b->err) return;
    if (b->n + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 256;
        while (cap < b->n + n + 1) cap *= 2;
        char *q = realloc(b->p, cap);
        if (!q) {
            b->err = 1;
            return;
        }
        b->p = q;
        b->cap = cap;
    }
    memcpy(b->p + b->n, s, n);
    b->n += n;
    b->p[b->n] = 0;
}

static void puts_(buf *b, const char *s) { put(b, s, strlen(s)); }

static void put_nl(buf *b, int crlf) { puts_(b, crlf ? "\r\n" : "\n"); }

static void put_run(buf *b, char c, size_t k)
{
    for (size_t i = 0; i < k; i++) put(b, &c, 1);
}

/* Text with its line ends in the document's style; ends with a line end
 * unless empty. */
static void put_lines(buf *b, const char *s, size_t n, int crlf)
{
    size_t i = 0;
    while (i < n) {
        const char *q = memchr(s + i, '\n', n - i);
        size_t e = q ? (size_t)(q - s) : n;
        size_t le = e;
        if (le > i && s[le - 1] == '\r') le--;
        put(b, s + i, le - i);
        put_nl(b, crlf);
        i = q ? e + 1 : n;
    }
}

/* Longest run of c at the start of a line (after blanks) in s. */
static size_t longest_run(const char *s, size_t n, char c)
{
    size_t best = 0, i = 0;
    while (i < n) {
        while (i < n && (s[i] == ' ' || s[i] == '\t')) i++;
        size_t j = i;
        while (j < n && s[j] == c) j++;
        if (j - i > best) best = j - i;
        const char *q = memchr(s + j, '\n', n - j);
        i = q ? (size_t)(q - s) + 1 : n;
    }
    return best;
}

static ml_status replace_raw(nb_block *blk, buf *b)
{
    if (b->err) {
        free(b->p);
        return ml_fail(ML_ENOMEM, "notebook: out of memory");
    }
    free(blk->raw);
    blk->raw = b->p;
    blk->len = b->n;
    return ML_OK;
}

/* Make sure cell c's raw text ends with a closed fence and a line end, so
 * that something can follow it. */
static ml_status close_cell(notebook *nb, int c)
{
    nb_block *cell = &nb->blocks[c];
    if (cell->closed && cell->len && cell->raw[cell->len - 1] == '\n') return ML_OK;
    buf b = {0};
    put(&b, cell->raw, cell->len);
    if (!cell->closed) {
        fence f;
        size_t e = line_end(cell->raw, cell->len, 0);
        fence_open(cell->raw, 0, e, &f);
        if (b.n && b.p[b.n - 1] != '\n') put_nl(&b, nb->crlf);
        put_run(&b, ' ', f.indent);
        put_run(&b, f.ch, f.len);
        cell->body_len = cell->len - cell->body_off;
        cell->closed = 1;
    }
    put_nl(&b, nb->crlf);
    return replace_raw(cell, &b);
}

ml_status nb_set_output(notebook *nb, int c, const char *text, size_t n)
{
    if (c < 0 || c >= nb->nblocks || nb->blocks[c].kind != NB_CELL)
        return ml_fail(ML_EINVAL, "notebook: block %d is not a cell", c);
    if (close_cell(nb, c)) return ML_ENOMEM;
    int o = nb_output_of(nb, c);
    buf b = {0};
    if (o >= 0) put(&b, nb->blocks[o].raw, nb->blocks[o].fence_off); /* keep its blank lines */
    else put_nl(&b, nb->crlf);
    size_t fl = longest_run(text, n, '`') + 1;
    if (fl < 3) fl = 3;
    put_run(&b, '`', fl);
    puts_(&b, NB_OUTPUT_INFO);
    put_nl(&b, nb->crlf);
    size_t body_off = b.n;
    put_lines(&b, text, n, nb->crlf);
    size_t body_len = b.n - body_off;
    put_run(&b, '`', fl);
    put_nl(&b, nb->crlf);
    if (b.err) {
        free(b.p);
        return ml_fail(ML_ENOMEM, "notebook: out of memory");
    }
    if (o < 0) {
        /* insert a new block after the cell */
        if (nb->nblocks == nb->cap) {
            int cap = nb->cap ? nb->cap * 2 : 16;
            nb_block *nbk = realloc(nb->blocks, sizeof *nbk * (size_t)cap);
            if (!nbk) {
                free(b.p);
                return ml_fail(ML_ENOMEM, "notebook: out of memory");
            }
            nb->blocks = nbk;
            nb->cap = cap;
        }
        o = c + 1;
        memmove(&nb->blocks[o + 1], &nb->blocks[o], sizeof(nb_block) * (size_t)(nb->nblocks - o));
        nb->nblocks++;
        memset(&nb->blocks[o], 0, sizeof(nb_block));
        nb->blocks[o].kind = NB_OUTPUT;
        nb->blocks[o].line = nb->blocks[c].line;
    }
    nb_block *ob = &nb->blocks[o];
    size_t fence_off = ob->raw ? ob->fence_off : (size_t)(nb->crlf ? 2 : 1);
    free(ob->raw);
    ob->raw = b.p;
    ob->len = b.n;
    ob->fence_off = fence_off;
    ob->body_off = body_off;
    ob->body_len = body_len;
    ob->closed = 1;
    nb->dirty = 1;
    return ML_OK;
}

void nb_clear_output(notebook *nb, int c)
{
    int o = nb_output_of(nb, c);
    if (o < 0) return;
    free(nb->blocks[o].raw);
    memmove(&nb->blocks[o], &nb->blocks[o + 1], sizeof(nb_block) * (size_t)(nb->nblocks - o - 1));
    nb->nblocks--;
    nb->dirty = 1;
}

ml_status nb_set_code(notebook *nb, int c, const char *code, size_t n)
{
    if (c < 0 || c >= nb->nblocks || nb->blocks[c].kind != NB_CELL)
        return ml_fail(ML_EINVAL, "notebook: block %d is not a cell", c);
    nb_block *cell = &nb->blocks[c];
    fence f;
    size_t e = line_end(cell->raw, cell->len, 0);
    fence_open(cell->raw, 0, e, &f);
    size_t fl = f.len, run = longest_run(code, n, f.ch);
    if (run >= fl) fl = run + 1;
    buf b = {0};
    if (fl == f.len) {
        put(&b, cell->raw, cell->body_off); /* the opening line as it was */
    } else {
        put_run(&b, ' ', f.indent);
        put_run(&b, f.ch, fl);
        put(&b, f.info, f.info_len);
        put_nl(&b, nb->crlf);
    }
    size_t body_off = b.n;
    put_lines(&b, code, n, nb->crlf);
    size_t body_len = b.n - body_off;
    if (fl == f.len && cell->closed) {
        size_t cs = cell->body_off + cell->body_len;
        put(&b, cell->raw + cs, cell->len - cs);
        if (b.n && b.p[b.n - 1] != '\n') put_nl(&b, nb->crlf);
    } else {
        put_run(&b, ' ', f.indent);
        put_run(&b, f.ch, fl);
        put_nl(&b, nb->crlf);
    }
    if (replace_raw(cell, &b)) return ML_ENOMEM;
    cell->body_off = body_off;
    cell->body_len = body_len;
    cell->closed = 1;
    nb->dirty = 1;
    return ML_OK;
}

/* ---- outline ---- */

int nb_headings(const notebook *nb, nb_heading *out, int max)
{
    int k = 0;
    for (int bi = 0; bi < nb->nblocks; bi++) {
        const nb_block *b = &nb->blocks[bi];
        if (b->kind != NB_PROSE) continue;
        const char *s = b->raw;
        size_t n = b->len, p = 0;
        while (p < n) {
            size_t e = line_end(s, n, p);
            fence f;
            if (fence_open(s, p, e, &f)) { /* skip fenced code inside prose */
                size_t q = e;
                while (q < n) {
                    size_t qe = line_end(s, n, q);
                    if (fence_closes(s, q, qe, &f)) {
                        q = qe;
                        break;
                    }
                    q = qe;
                }
                p = q;
                continue;
            }
            size_t i = p;
            while (i < e && s[i] == ' ' && i - p < 4) i++;
            size_t h = i;
            while (h < e && s[h] == '#') h++;
            int level = (int)(h - i);
            if (i - p <= 3 && level >= 1 && level <= 6 && (h == e || s[h] == ' ' || s[h] == '\t' || s[h] == '\r' || s[h] == '\n')) {
                size_t a = h, z = e;
                while (a < z && (s[a] == ' ' || s[a] == '\t')) a++;
                while (z > a && is_blank_char(s[z - 1])) z--;
                size_t z2 = z; /* closing #s preceded by a space */
                while (z2 > a && s[z2 - 1] == '#') z2--;
                if (z2 == a || s[z2 - 1] == ' ' || s[z2 - 1] == '\t') {
                    z = z2;
                    while (z > a && (s[z - 1] == ' ' || s[z - 1] == '\t')) z--;
                }
                if (k < max) {
                    nb_heading *o = &out[k];
                    o->level = level;
                    o->block = bi;
                    o->off = p;
                    size_t len = z - a;
                    if (len >= sizeof o->text) {
                        len = sizeof o->text - 1;
                        while (len > 0 && ((unsigned char)s[a + len] & 0xC0) == 0x80) len--; /* whole code points */
                    }
                    memcpy(o->text, s + a, len);
                    o->text[len] = 0;
                }
                k++;
            }
            p = e;
        }
    }
    return k;
}
