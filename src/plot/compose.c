/* Putting pictures together: side by side, and the training-history pair. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "plot/draw.h"

ml_status ml_text_hcat(ml_text *out, const ml_text *a, const ml_text *b, int gap)
{
    int wa = 0;
    for (int i = 0; i < a->nlines; i++)
        if (a->lines[i].ncells > wa) wa = a->lines[i].ncells;
    int wb = 0;
    for (int i = 0; i < b->nlines; i++)
        if (b->lines[i].ncells > wb) wb = b->lines[i].ncells;
    int n = a->nlines > b->nlines ? a->nlines : b->nlines;
    int w = wa + gap + wb;
    size_t cap = 0;
    for (int i = 0; i < n; i++) {
        size_t k = (i < a->nlines ? strlen(a->lines[i].text) : 0) + (i < b->nlines ? strlen(b->lines[i].text) : 0);
        if (k > cap) cap = k;
    }
    cap += (size_t)w + 1;
    char *line = malloc(cap);
    uint8_t *roles = calloc((size_t)(w > 0 ? w : 1), 1);
    if (!line || !roles) {
        free(line);
        free(roles);
        return ml_fail(ML_ENOMEM, "plot: out of memory");
    }
    ml_status st = ML_OK;
    for (int i = 0; i < n && !st; i++) {
        size_t len = 0;
        memset(roles, 0, (size_t)w);
        int cells = 0;
        if (i < a->nlines) {
            const ml_textline *l = &a->lines[i];
            size_t k = strlen(l->text);
            memcpy(line, l->text, k);
            len = k;
            memcpy(roles, l->color, (size_t)l->ncells);
            cells = l->ncells;
        }
        while (cells < wa + gap) {
            line[len++] = ' ';
            cells++;
        }
        if (i < b->nlines) {
            const ml_textline *l = &b->lines[i];
            size_t k = strlen(l->text);
            memcpy(line + len, l->text, k);
            len += k;
            memcpy(roles + cells, l->color, (size_t)l->ncells);
            cells += l->ncells;
        }
        while (cells < w) {
            line[len++] = ' ';
            cells++;
        }
        line[len] = 0;
        st = ml_text_add(out, line, roles, w, 0);
    }
    free(line);
    free(roles);
    return st;
}

static ml_status append_all(ml_text *out, const ml_text *t)
{
    for (int i = 0; i < t->nlines; i++) {
        ml_status st = ml_text_add(out, t->lines[i].text, t->lines[i].color, t->lines[i].ncells, 0);
        if (st) return st;
    }
    return ML_OK;
}

ml_status ml_plot_history(ml_text *out, const double *loss, const double *acc, const double *val_loss,
                          const double *val_acc, int n, const ml_plot_opts *opts)
{
    ml_plot_opts o;
    ml_plot_opts_resolve(&o, opts);
    if (n <= 0) return ml_fail(ML_EINVAL, "plot_history: the history is empty (no epochs)");
    if (!loss && !acc && !val_loss && !val_acc)
        return ml_fail(ML_EINVAL, "plot_history: no loss or accuracy in the history");
    int W = o.width > 0 ? o.width : 80;
    int side = W >= 120;
    int have_acc = acc || val_acc, have_loss = loss || val_loss;
    int nch = have_acc + have_loss;
    int H = o.height > 0 ? o.height : side || nch == 1 ? 18 : 34;
    ml_plot_opts co = o;
    co.xlabel = "epoch";
    co.xinteger = 1;
    co.legend = 1;
    if (side && nch == 2) {
        co.width = (W - 2) / 2;
        co.height = H;
    } else {
        /* stacked, with a blank line between the two */
        co.width = W;
        co.height = nch == 2 ? (H - 1) / 2 : H;
    }
    ml_text parts[2];
    ml_text_init(&parts[0]);
    ml_text_init(&parts[1]);
    ml_status st = ML_OK;
    int k = 0;
    for (int which = 0; which < 2 && !st; which++) {
        const double *tr = which == 0 ? acc : loss, *va = which == 0 ? val_acc : val_loss;
        if (!tr && !va) continue;
        ml_series s[2];
        int ns = 0;
        if (tr) s[ns++] = (ml_series){"train", NULL, tr, n};
        if (va) s[ns++] = (ml_series){"validation", NULL, va, n};
        co.title = which == 0 ? "Accuracy" : "Loss";
        co.ylabel = NULL;
        if (!(side && nch == 2) && k == 1) co.height = H - 1 - (H - 1) / 2;
        st = ml_plot_line(&parts[k], s, ns, &co);
        if (st) {
            ml_fail_prefix(st, which == 0 ? "plot_history: accuracy curves" : "plot_history: loss curves");
            break;
        }
        k++;
    }
    if (!st) {
        if (side && k == 2) st = ml_text_hcat(out, &parts[0], &parts[1], W - 2 * co.width);
        else
            for (int i = 0; i < k && !st; i++) {
                if (i) {
                    char *blank = malloc((size_t)W + 1);
                    if (!blank) st = ml_fail(ML_ENOMEM, "plot: out of memory");
                    else {
                        memset(blank, ' ', (size_t)W);
                        blank[W] = 0;
                        st = ml_text_add(out, blank, NULL, W, 0);
                        free(blank);
                    }
                }
                if (!st) st = append_all(out, &parts[i]);
            }
    }
    ml_text_free(&parts[0]);
    ml_text_free(&parts[1]);
    return st;
}
