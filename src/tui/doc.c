/* Laying out a notebook as display lines: md4c for the prose, frames for
 * cells, rich items or stored text for outputs. */
#include "tui/doc.h"

#include <md4c.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- characters ---- */

/* Decode one UTF-8 code point; returns bytes used (>= 1). */
static int utf8_next(const char *s, size_t n, wchar_t *out)
{
    const unsigned char *u = (const unsigned char *)s;
    if (u[0] < 0x80) {
        *out = u[0];
        return 1;
    }
    int len = u[0] >= 0xF0 ? 4 : u[0] >= 0xE0 ? 3 : u[0] >= 0xC0 ? 2 : 1;
    if (len == 1 || (size_t)len > n) {
        *out = 0xFFFD;
        return 1;
    }
    wchar_t c = u[0] & (0x3F >> (len - 1));
    for (int i = 1; i < len; i++) {
        if ((u[i] & 0xC0) != 0x80) {
            *out = 0xFFFD;
            return 1;
        }
        c = (c << 6) | (u[i] & 0x3F);
    }
    *out = c;
    return len;
}

wchar_t doc_ascii(wchar_t c)
{
    if (c < 0x80) return c;
    switch (c) {
    case 0x2500: case 0x2501: case 0x2013: case 0x2014: case 0x2212: case 0x2574: case 0x2576: return '-';
    case 0x2502: case 0x2503: case 0x258C: case 0x2590: case 0x2575: case 0x2577: return '|';
    case 0x250C: case 0x2510: case 0x2514: case 0x2518: case 0x253C: case 0x251C: case 0x2524: case 0x252C:
    case 0x2534: return '+';
    case 0x2018: case 0x2019: return '\'';
    case 0x201C: case 0x201D: return '"';
    case 0x2022: case 0x25CF: case 0x00B7: return '*';
    case 0x00D7: return 'x';
    case 0x2588: case 0x2593: return '#';
    case 0x2592: return '+';
    case 0x2591: return '.';
    case 0x2580: return '"';
    case 0x2584: case 0x2581: case 0x2582: case 0x2583: return '_';
    case 0x2585: case 0x2586: case 0x2587: return '=';
    case 0x00A0: return ' ';
    case 0x2026: return '~';
    case 0x00E9: case 0x00E8: case 0x00EA: return 'e';
    default: return '?';
    }
}

static int char_width(wchar_t c, int ascii)
{
    if (ascii || c < 0x300) return 1;
    int w = wcwidth(c);
    return w < 0 ? 1 : w == 0 ? 1 : w;
}

/* ---- lines ---- */

typedef struct lbuf {
    wchar_t *ch;
    uint8_t *role;
    int n, cap;
} lbuf;

static void lb_put(lbuf *b, wchar_t c, uint8_t role)
{
    if (b->n + 2 > b->cap) {
        int cap = b->cap ? b->cap * 2 : 128;
        wchar_t *ch = realloc(b->ch, sizeof *ch * (size_t)cap);
        if (!ch) return;
        b->ch = ch;
        uint8_t *r = realloc(b->role, (size_t)cap);
        if (!r) return;
        b->role = r;
        b->cap = cap;
    }
    b->ch[b->n] = c;
    b->role[b->n] = role;
    b->n++;
}

typedef struct rctx {
    doc *d;
    const doc_opts *o;
    int block;
    int width;
    lbuf line;     /* the line being built */
    lbuf para;     /* inline content waiting to be wrapped */
    uint8_t span[16];
    int nspan;
    int list_depth;
    int ol[8], olnum[8];
    char bullet[16]; /* pending for the first line of a list item */
    int quote;
    int code_block;
    int heading;
    int need_blank;
    int in_table;
    int cell_in_row;
    int html_block;
    char htext[160];
    size_t hlen;
} rctx;

static void push_line(rctx *r)
{
    doc *d = r->d;
    if (d->n == d->cap) {
        int cap = d->cap ? d->cap * 2 : 256;
        dline *l = realloc(d->lines, sizeof *l * (size_t)cap);
        if (!l) return;
        d->lines = l;
        d->cap = cap;
    }
    dline *l = &d->lines[d->n++];
    l->n = r->line.n;
    l->block = r->block;
    l->ch = malloc(sizeof *l->ch * (size_t)(l->n + 1));
    l->role = malloc((size_t)l->n + 1);
    if (!l->ch || !l->role) {
        free(l->ch);
        free(l->role);
        l->ch = NULL;
        l->role = NULL;
        l->n = 0;
    } else {
        memcpy(l->ch, r->line.ch, sizeof *l->ch * (size_t)l->n);
        memcpy(l->role, r->line.role, (size_t)l->n);
    }
    r->line.n = 0;
}

/* Add one character to the current line (wide ones take two cells). */
static void put_char(rctx *r, lbuf *b, wchar_t c, uint8_t role)
{
    if (r->o->ascii) c = doc_ascii(c);
    lb_put(b, c, role);
    if (char_width(c, r->o->ascii) == 2) lb_put(b, 0, role);
}

static void put_str(rctx *r, lbuf *b, const char *s, uint8_t role)
{
    size_t n = strlen(s);
    while (n) {
        wchar_t c;
        int k = utf8_next(s, n, &c);
        put_char(r, b, c, role);
        s += k;
        n -= (size_t)k;
    }
}

static void blank_if_needed(rctx *r)
{
    if (r->need_blank && r->d->n > 0) push_line(r);
    r->need_blank = 0;
}

/* The indentation of prose lines: quotes and list levels. */
static void put_prefix(rctx *r, int first)
{
    for (int q = 0; q < r->quote; q++) put_str(r, &r->line, "\xe2\x94\x82 ", TR_MUTED); /* "│ " */
    for (int i = 1; i < r->list_depth; i++) put_str(r, &r->line, "  ", TR_TEXT);
    if (r->list_depth > 0) {
        if (first && r->bullet[0]) {
            put_str(r, &r->line, r->bullet, TR_MUTED);
            r->bullet[0] = 0;
        } else {
            put_str(r, &r->line, r->ol[r->list_depth - 1] ? "   " : "  ", TR_TEXT);
        }
    }
}

/* Wrap the paragraph buffer into lines at the pane's width. */
static void flush_para(rctx *r)
{
    lbuf *p = &r->para;
    if (p->n == 0 && !r->bullet[0]) return;
    blank_if_needed(r);
    int i = 0, first = 1;
    while (i < p->n || first) {
        put_prefix(r, first);
        int avail = r->width - r->line.n;
        if (avail < 10) avail = 10;
        /* skip spaces at the start of a continuation line */
        if (!first)
            while (i < p->n && p->ch[i] == ' ') i++;
        int start = i, end = i, last_space = -1;
        while (end < p->n && end - start < avail) {
            if (p->ch[end] == '\n') break;
            if (p->ch[end] == ' ') last_space = end;
            end++;
        }
        if (end < p->n && p->ch[end] != '\n' && end - start >= avail && last_space > start) end = last_space;
        for (int k = start; k < end; k++) lb_put(&r->line, p->ch[k], p->role[k]);
        push_line(r);
        i = end;
        if (i < p->n && p->ch[i] == '\n') i++;
        first = 0;
        if (i >= p->n) break;
    }
    p->n = 0;
}

static uint8_t cur_role(rctx *r) { return r->nspan ? r->span[r->nspan - 1] : TR_TEXT; }

static int enter_block(MD_BLOCKTYPE t, void *detail, void *ud)
{
    rctx *r = ud;
    flush_para(r);
    switch (t) {
    case MD_BLOCK_H: {
        MD_BLOCK_H_DETAIL *h = detail;
        r->heading = (int)h->level;
        r->hlen = 0;
        r->need_blank = 1;
        uint8_t role = h->level == 1 ? TR_H1 : h->level == 2 ? TR_H2 : TR_H3;
        r->nspan = 0;
        r->span[r->nspan++] = role;
        break;
    }
    case MD_BLOCK_UL:
    case MD_BLOCK_OL:
        if (r->list_depth == 0) r->need_blank = 1;
        if (r->list_depth < 8) {
            r->ol[r->list_depth] = t == MD_BLOCK_OL;
            r->olnum[r->list_depth] = t == MD_BLOCK_OL ? (int)((MD_BLOCK_OL_DETAIL *)detail)->start : 0;
        }
        r->list_depth++;
        break;
    case MD_BLOCK_LI: {
        int k = r->list_depth - 1;
        if (k >= 0 && k < 8 && r->ol[k]) snprintf(r->bullet, sizeof r->bullet, "%d. ", r->olnum[k]++);
        else snprintf(r->bullet, sizeof r->bullet, "%s", r->o->ascii ? "- " : "\xe2\x80\xa2 ");
        break;
    }
    case MD_BLOCK_QUOTE:
        r->need_blank = 1;
        r->quote++;
        break;
    case MD_BLOCK_CODE:
        r->need_blank = 1;
        blank_if_needed(r);
        r->code_block = 1;
        break;
    case MD_BLOCK_HTML:
        r->html_block = 1;
        break;
    case MD_BLOCK_HR:
        r->need_blank = 1;
        blank_if_needed(r);
        for (int i = 0; i < r->width && i < 60; i++) put_char(r, &r->line, 0x2500, TR_MUTED);
        push_line(r);
        r->need_blank = 1;
        break;
    case MD_BLOCK_TABLE:
        r->need_blank = 1;
        r->in_table = 1;
        break;
    case MD_BLOCK_TR:
        r->cell_in_row = 0;
        break;
    case MD_BLOCK_TH:
    case MD_BLOCK_TD:
        if (r->cell_in_row++) put_str(r, &r->para, " \xe2\x94\x82 ", TR_MUTED);
        if (t == MD_BLOCK_TH) {
            r->nspan = 0;
            r->span[r->nspan++] = TR_STRONG;
        }
        /* cells are gathered on one line: no flush inside a row */
        return 0;
    case MD_BLOCK_P:
        r->need_blank = r->need_blank || r->list_depth == 0 || 1;
        break;
    default:
        break;
    }
    return 0;
}

static int leave_block(MD_BLOCKTYPE t, void *detail, void *ud)
{
    rctx *r = ud;
    (void)detail;
    if (t == MD_BLOCK_TH || t == MD_BLOCK_TD) {
        if (t == MD_BLOCK_TH) r->nspan = 0;
        return 0;
    }
    flush_para(r);
    switch (t) {
    case MD_BLOCK_H: {
        doc *d = r->d;
        if (d->nheads == d->hcap) {
            int cap = d->hcap ? d->hcap * 2 : 32;
            doutline *h = realloc(d->heads, sizeof *h * (size_t)cap);
            if (!h) break;
            d->heads = h;
            d->hcap = cap;
        }
        doutline *h = &d->heads[d->nheads++];
        h->level = r->heading;
        h->line = d->n - 1;
        /* the heading's first line: go back over wrapped lines */
        h->block = r->block;
        memcpy(h->text, r->htext, r->hlen);
        h->text[r->hlen] = 0;
        r->heading = 0;
        r->nspan = 0;
        r->need_blank = 1;
        break;
    }
    case MD_BLOCK_UL:
    case MD_BLOCK_OL:
        r->list_depth--;
        if (r->list_depth == 0) r->need_blank = 1;
        break;
    case MD_BLOCK_QUOTE:
        r->quote--;
        r->need_blank = 1;
        break;
    case MD_BLOCK_CODE:
        r->code_block = 0;
        r->need_blank = 1;
        break;
    case MD_BLOCK_HTML:
        r->html_block = 0;
        break;
    case MD_BLOCK_TABLE:
        r->in_table = 0;
        r->need_blank = 1;
        break;
    case MD_BLOCK_P:
        r->need_blank = 1;
        break;
    default:
        break;
    }
    return 0;
}

static int enter_span(MD_SPANTYPE t, void *detail, void *ud)
{
    rctx *r = ud;
    (void)detail;
    uint8_t role = cur_role(r);
    if (!r->heading) {
        if (t == MD_SPAN_EM) role = TR_EM;
        else if (t == MD_SPAN_STRONG) role = TR_STRONG;
        else if (t == MD_SPAN_CODE) role = TR_CODE;
        else if (t == MD_SPAN_A || t == MD_SPAN_WIKILINK) role = TR_LINK;
    }
    if (r->nspan < 16) r->span[r->nspan++] = role;
    return 0;
}

static int leave_span(MD_SPANTYPE t, void *detail, void *ud)
{
    rctx *r = ud;
    (void)t;
    (void)detail;
    if (r->nspan > 0) r->nspan--;
    return 0;
}

static void add_text(rctx *r, const char *s, size_t n, uint8_t role)
{
    if (r->heading && r->hlen + n < sizeof r->htext) {
        memcpy(r->htext + r->hlen, s, n);
        r->hlen += n;
    }
    while (n) {
        wchar_t c;
        int k = utf8_next(s, n, &c);
        if (c == '\t') c = ' ';
        put_char(r, &r->para, c, role);
        s += k;
        n -= (size_t)k;
    }
}

static int on_text(MD_TEXTTYPE t, const MD_CHAR *s, MD_SIZE n, void *ud)
{
    rctx *r = ud;
    if (r->html_block) return 0;
    if (r->code_block) { /* verbatim lines, clipped */
        size_t i = 0;
        while (i < n) {
            const char *nl = memchr(s + i, '\n', n - i);
            size_t e = nl ? (size_t)(nl - s) : n;
            if (r->line.n == 0) put_str(r, &r->line, "    ", TR_CODE);
            size_t p = i;
            while (p < e) {
                wchar_t c;
                int k = utf8_next(s + p, e - p, &c);
                if (c == '\t') c = ' ';
                if (r->line.n < r->width) put_char(r, &r->line, c, TR_CODE);
                p += (size_t)k;
            }
            if (nl) push_line(r);
            i = nl ? e + 1 : n;
        }
        return 0;
    }
    switch (t) {
    case MD_TEXT_SOFTBR:
        add_text(r, " ", 1, cur_role(r));
        break;
    case MD_TEXT_BR:
        lb_put(&r->para, '\n', TR_TEXT);
        break;
    case MD_TEXT_HTML:
        break;
    case MD_TEXT_NULLCHAR:
        add_text(r, "?", 1, cur_role(r));
        break;
    case MD_TEXT_ENTITY: {
        static const struct { const char *e, *u; } ent[] = {{"&amp;", "&"}, {"&lt;", "<"}, {"&gt;", ">"},
                                                           {"&quot;", "\""}, {"&nbsp;", " "}, {"&apos;", "'"}};
        for (size_t k = 0; k < sizeof ent / sizeof ent[0]; k++)
            if (strlen(ent[k].e) == n && memcmp(ent[k].e, s, n) == 0) {
                add_text(r, ent[k].u, strlen(ent[k].u), cur_role(r));
                return 0;
            }
        if (n > 3 && s[1] == '#') {
            long v = s[2] == 'x' || s[2] == 'X' ? strtol(s + 3, NULL, 16) : strtol(s + 2, NULL, 10);
            if (v > 0 && v < 0x110000) {
                put_char(r, &r->para, (wchar_t)v, cur_role(r));
                return 0;
            }
        }
        add_text(r, s, n, cur_role(r));
        break;
    }
    default:
        add_text(r, s, n, t == MD_TEXT_CODE && !r->heading ? TR_CODE : cur_role(r));
        break;
    }
    return 0;
}

static void render_prose(rctx *r, const nb_block *b)
{
    MD_PARSER p;
    memset(&p, 0, sizeof p);
    p.flags = MD_FLAG_TABLES | MD_FLAG_STRIKETHROUGH | MD_FLAG_PERMISSIVEAUTOLINKS;
    p.enter_block = enter_block;
    p.leave_block = leave_block;
    p.enter_span = enter_span;
    p.leave_span = leave_span;
    p.text = on_text;
    md_parse(b->raw, (MD_SIZE)b->len, &p, r);
    flush_para(r);
    if (r->line.n) push_line(r);
    r->nspan = 0;
    r->list_depth = r->quote = r->code_block = r->heading = r->html_block = 0;
}

/* ---- cells and outputs ---- */

/* Lines of plain text (tabs to 8 columns), clipped to the pane.  A huge
 * output shows its first and last lines with a note between them, and a
 * printed line wraps to at most WRAP_MAX rows: the view stays small and
 * quick to build whatever a cell prints (the notebook keeps it all). */
#define SHOWN_HEAD 1000
#define SHOWN_TAIL 1000
#define WRAP_MAX 20

static void text_lines(rctx *r, const char *s, size_t n, uint8_t role, const char *prefix, int wrap)
{
    size_t i = 0;
    long total = 1, ln = -1;
    for (const char *p = s, *end = s + n; p < end && (p = memchr(p, '\n', (size_t)(end - p))); p++) total++;
    while (i < n) {
        const char *nl = memchr(s + i, '\n', n - i);
        size_t e = nl ? (size_t)(nl - s) : n;
        ln++;
        if (total > SHOWN_HEAD + SHOWN_TAIL && ln >= SHOWN_HEAD && ln < total - SHOWN_TAIL) {
            /* skip to the first line of the tail in one go */
            long skip = total - SHOWN_TAIL - SHOWN_HEAD;
            char msg[128];
            snprintf(msg, sizeof msg, "%s... %ld lines not shown (kept in the notebook) ...", prefix, skip);
            put_str(r, &r->line, msg, TR_MUTED);
            push_line(r);
            for (long k = 0; k < skip && i < n; k++) {
                const char *q = memchr(s + i, '\n', n - i);
                i = q ? (size_t)(q - s) + 1 : n;
            }
            ln += skip - 1;
            continue;
        }
        put_str(r, &r->line, prefix, role == TR_CELL ? TR_CELLHDR : TR_MUTED);
        int col0 = r->line.n, rows = 1;
        size_t p = i;
        while (p < e) {
            wchar_t c;
            int k = utf8_next(s + p, e - p, &c);
            if (c == '\r' && p + (size_t)k == e) break;
            if (!wrap && r->line.n >= r->width) break; /* clipped: the rest of the line is not looked at */
            if (wrap && r->line.n >= r->width) { /* long printed lines wrap; code and pictures are clipped */
                if (rows == WRAP_MAX) {
                    char msg[96];
                    push_line(r);
                    snprintf(msg, sizeof msg, "%s... %zu more bytes on this line ...", prefix, e - p);
                    put_str(r, &r->line, msg, TR_MUTED);
                    break;
                }
                push_line(r);
                rows++;
                put_str(r, &r->line, prefix, TR_MUTED);
                col0 = r->line.n;
            }
            p += (size_t)k;
            if (c == '\t') {
                do lb_put(&r->line, ' ', role);
                while ((r->line.n - col0) % 8);
                continue;
            }
            if (r->line.n < r->width) put_char(r, &r->line, c, role);
        }
        if (r->line.n > r->width) r->line.n = r->width;
        push_line(r);
        i = nl ? e + 1 : n;
    }
}

/* A note from mnistlab, muted and wrapped at spaces. */
static void note_lines(rctx *r, const char *s, size_t n)
{
    int avail = r->width - 2 > 20 ? r->width - 2 : 20;
    size_t i = 0;
    while (i < n) {
        while (i < n && (s[i] == ' ' || s[i] == '\n')) i++;
        if (i >= n) break;
        /* the longest run of words that fits (counted in bytes: notes are ASCII) */
        size_t end = i, last_space = 0;
        while (end < n && s[end] != '\n' && (int)(end - i) < avail) {
            if (s[end] == ' ') last_space = end;
            end++;
        }
        if (end < n && s[end] != '\n' && s[end] != ' ' && last_space > i) end = last_space;
        put_str(r, &r->line, "  ", TR_MUTED);
        for (size_t k = i; k < end; k++) lb_put(&r->line, (unsigned char)s[k] < 0x80 ? s[k] : '?', TR_MUTED);
        push_line(r);
        i = end;
    }
}

static void render_rich(rctx *r, const nb_output *out)
{
    for (int i = 0; i < out->n; i++) {
        const nb_item *it = &out->items[i];
        if (it->kind == NB_ITEM_PICTURE) {
            for (int k = 0; k < it->pic.nlines; k++) {
                const ml_textline *tl = &it->pic.lines[k];
                put_str(r, &r->line, "  ", TR_MUTED);
                const char *s = tl->text;
                size_t n = strlen(s);
                int cell = 0;
                while (n) {
                    wchar_t c;
                    int kk = utf8_next(s, n, &c);
                    uint8_t role = cell < tl->ncells && tl->color ? tl->color[cell] : 0;
                    if (r->line.n < r->width) put_char(r, &r->line, c, (uint8_t)(TR_PICTURE + (role & 63)));
                    cell++;
                    s += kk;
                    n -= (size_t)kk;
                }
                push_line(r);
            }
        } else if (it->text && it->kind == NB_ITEM_NOTE) {
            note_lines(r, it->text, it->len);
        } else if (it->text) {
            size_t len = it->len;
            if (len && it->text[len - 1] == '\n') len--;
            text_lines(r, it->text, len, it->kind == NB_ITEM_ERROR ? TR_ERROR : TR_OUTPUT, "  ", 1);
        }
    }
}

static void render_cell(rctx *r, const notebook *nb, int bi)
{
    const nb_block *b = &nb->blocks[bi];
    const doc_opts *o = r->o;
    int sel = bi == o->selected, run = bi == o->running;
    r->need_blank = 1;
    blank_if_needed(r);
    char head[96];
    int num = nb_cell_number(nb, bi);
    if (run) snprintf(head, sizeof head, " cell %d: running, Ctrl-C stops ", num);
    else if (sel) snprintf(head, sizeof head, " cell %d  [r] run  [a] run all to here  [e] edit ", num);
    else snprintf(head, sizeof head, " cell %d ", num);
    uint8_t hr = run ? TR_RUNNING : sel ? TR_CELLSEL : TR_CELLHDR;
    put_char(r, &r->line, sel ? 0x2501 : 0x2500, hr);
    put_char(r, &r->line, sel ? 0x2501 : 0x2500, hr);
    put_str(r, &r->line, head, hr);
    while (r->line.n < r->width - 1 && r->line.n < 72) put_char(r, &r->line, sel ? 0x2501 : 0x2500, hr);
    if (r->line.n > r->width) r->line.n = r->width;
    push_line(r);
    size_t len = b->body_len;
    const char *code = b->raw + b->body_off;
    if (len && code[len - 1] == '\n') len--;
    if (len && code[len - 1] == '\r') len--;
    text_lines(r, code, len, TR_CELL, sel ? "\xe2\x94\x83 " : "\xe2\x94\x82 ", 0);
    nb_output *rich = o->rich && num - 1 < o->nrich ? o->rich[num - 1] : NULL;
    if (rich && rich->n) {
        render_rich(r, rich);
    } else {
        int ob = nb_output_of(nb, bi);
        if (ob >= 0) {
            const nb_block *x = &nb->blocks[ob];
            size_t l2 = x->body_len;
            const char *t = x->raw + x->body_off;
            if (l2 && t[l2 - 1] == '\n') l2--;
            if (l2 && t[l2 - 1] == '\r') l2--;
            text_lines(r, t, l2, TR_OUTPUT, "  ", 0);
        }
    }
    r->need_blank = 1;
}

void doc_build(doc *d, const notebook *nb, const doc_opts *o)
{
    doc_free(d);
    d->nblocks = nb->nblocks;
    d->cell_line = malloc(sizeof(int) * (size_t)(nb->nblocks + 1));
    d->cell_end = malloc(sizeof(int) * (size_t)(nb->nblocks + 1));
    if (!d->cell_line || !d->cell_end) return;
    rctx r;
    memset(&r, 0, sizeof r);
    r.d = d;
    r.o = o;
    r.width = o->width < 20 ? 20 : o->width;
    for (int i = 0; i < nb->nblocks; i++) {
        r.block = i;
        d->cell_line[i] = d->n;
        if (nb->blocks[i].kind == NB_PROSE) render_prose(&r, &nb->blocks[i]);
        else if (nb->blocks[i].kind == NB_CELL) render_cell(&r, nb, i);
        if (nb->blocks[i].kind == NB_CELL && d->n > d->cell_line[i] && r.d->lines[d->cell_line[i]].n == 0)
            d->cell_line[i]++; /* the blank line before the frame */
        d->cell_end[i] = d->n;
    }
    /* headings: point at their first display line (wrapped headings) */
    for (int h = 0; h < d->nheads; h++) {
        int l = d->heads[h].line;
        while (l > 0 && d->lines[l - 1].n > 0 && d->lines[l - 1].block == d->heads[h].block &&
               d->lines[l - 1].role[0] == d->lines[l].role[0] &&
               (d->lines[l].role[0] == TR_H1 || d->lines[l].role[0] == TR_H2 || d->lines[l].role[0] == TR_H3))
            l--;
        d->heads[h].line = l;
    }
    free(r.line.ch);
    free(r.line.role);
    free(r.para.ch);
    free(r.para.role);
}

void doc_free(doc *d)
{
    for (int i = 0; i < d->n; i++) {
        free(d->lines[i].ch);
        free(d->lines[i].role);
    }
    free(d->lines);
    free(d->heads);
    free(d->cell_line);
    free(d->cell_end);
    memset(d, 0, sizeof *d);
}
