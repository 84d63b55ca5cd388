/* Progress bars (count, rate, ETA) and the Keras-like per-epoch line.
 * Text only: the caller (the TUI status line, a terminal driver) draws it. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "plot/draw.h"

static void fmt_duration(char *b, size_t n, double s)
{
    if (!(s >= 0) || s > 360000) {
        snprintf(b, n, "--:--");
        return;
    }
    long t = lround(s);
    if (t >= 3600) snprintf(b, n, "%ld:%02ld:%02ld", t / 3600, (t / 60) % 60, t % 60);
    else snprintf(b, n, "%ld:%02ld", t / 60, t % 60);
}

static void fmt_rate(char *b, size_t n, double per_s)
{
    if (!(per_s > 0)) snprintf(b, n, "-");
    else if (per_s < 1) snprintf(b, n, "%.1fs/it", 1 / per_s);
    else {
        char v[24];
        ml_fmt_num(v, sizeof v, per_s >= 100 ? round(per_s) : round(per_s * 10) / 10, 5);
        snprintf(b, n, "%s/s", v);
    }
}

/* Appends s to b (size n) when it fits in `width` cells in total. */
static int try_add(char *b, size_t n, int *used, int width, const char *s)
{
    int w = ml_utf8_width(s);
    if (width > 0 && *used + w > width) return 0;
    size_t len = strlen(b);
    if (len + strlen(s) + 1 > n) return 0;
    memcpy(b + len, s, strlen(s) + 1);
    *used += w;
    return 1;
}

int ml_format_progress(char *buf, size_t n, int width, const char *stage, int64_t done, int64_t total,
                       double elapsed, int ascii)
{
    if (!buf || n == 0) return 0;
    buf[0] = 0;
    int used = 0;
    char part[256], cnt[64], rate[48], eta[64];
    if (done < 0) done = 0;
    if (total > 0 && done > total) done = total;
    double per_s = elapsed > 0 ? done / elapsed : 0;
    fmt_rate(rate, sizeof rate, per_s);
    if (total > 0) {
        snprintf(cnt, sizeof cnt, "%lld/%lld", (long long)done, (long long)total);
        if (done >= total) {
            char el[32];
            fmt_duration(el, sizeof el, elapsed);
            snprintf(eta, sizeof eta, "in %s", el);
        } else if (per_s > 0) {
            char el[32];
            fmt_duration(el, sizeof el, (total - done) / per_s);
            snprintf(eta, sizeof eta, "ETA %s", el);
        } else {
            snprintf(eta, sizeof eta, "ETA --:--");
        }
    } else {
        snprintf(cnt, sizeof cnt, "%lld", (long long)done);
        char el[32];
        fmt_duration(el, sizeof el, elapsed);
        snprintf(eta, sizeof eta, "%s", el);
    }
    /* the fixed parts, then a bar in whatever room is left */
    char pct[16] = "";
    if (total > 0) snprintf(pct, sizeof pct, "%3d%%", (int)(100.0 * done / total));
    char fit_stage[128] = "";
    if (stage && stage[0]) ml_fit(fit_stage, sizeof fit_stage, stage, width > 0 ? width / 3 : 40, ascii);
    int sw = ml_utf8_width(fit_stage) + (fit_stage[0] ? 1 : 0);
    int tail_full = 1 + (int)strlen(cnt) + 2 + (int)strlen(rate) + 2 + (int)strlen(eta);
    int tail_mid = 1 + (int)strlen(cnt) + 2 + (int)strlen(eta);
    int pw = total > 0 ? (int)strlen(pct) + 1 : 0;
    int room = width > 0 ? width - sw - pw : 40;
    int tail = room - tail_full >= 10 ? 2 : room - tail_mid >= 10 ? 1 : room - (1 + (int)strlen(cnt)) >= 8 ? 0 : -1;
    int barw = 0;
    if (total > 0) {
        if (tail == 2) barw = room - tail_full;
        else if (tail == 1) barw = room - tail_mid;
        else if (tail == 0) barw = room - (1 + (int)strlen(cnt));
        else barw = room;
        if (barw > 40) barw = 40;
    }
    if (fit_stage[0]) {
        snprintf(part, sizeof part, "%s ", fit_stage);
        try_add(buf, n, &used, width, part);
    }
    if (total > 0) {
        snprintf(part, sizeof part, "%s ", pct);
        try_add(buf, n, &used, width, part);
        if (barw >= 3) {
            char bar[512] = "";
            size_t bl = 0;
            double frac = (double)done / total;
            long e8 = lround(frac * barw * 8);
            int full = (int)(e8 / 8), rem = (int)(e8 % 8);
            if (ascii) {
                bar[bl++] = '[';
                for (int i = 0; i < barw - 2; i++) {
                    int f = (int)(frac * (barw - 2));
                    bar[bl++] = i < f ? '=' : i == f && done < total ? '>' : ' ';
                }
                bar[bl++] = ']';
                bar[bl] = 0;
            } else {
                for (int i = 0; i < barw; i++) {
                    uint32_t g = i < full ? 0x2588 : i == full && rem ? 0x2590 - (uint32_t)rem : 0x2591;
                    bl += (size_t)ml_utf8_put(bar + bl, g);
                }
                bar[bl] = 0;
            }
            try_add(buf, n, &used, width, bar);
        }
    }
    if (tail >= 0 || total <= 0) {
        snprintf(part, sizeof part, "%s%s", total > 0 ? " " : "", cnt);
        try_add(buf, n, &used, width, part);
    }
    if (tail == 2 || (total <= 0 && tail >= 1)) {
        snprintf(part, sizeof part, "  %s", rate);
        try_add(buf, n, &used, width, part);
    }
    if (tail >= 1 || total <= 0) {
        snprintf(part, sizeof part, "  %s", eta);
        try_add(buf, n, &used, width, part);
    }
    /* exactly `width` cells */
    while (width > 0 && used < width && strlen(buf) + 1 < n) {
        size_t l = strlen(buf);
        buf[l] = ' ';
        buf[l + 1] = 0;
        used++;
    }
    return used;
}

/* "3.2s 2ms/step" (steps <= 0: "3.2s"); `d` gets the duration alone. */
static void fmt_timing(char *timing, size_t tn, char *d, size_t dn, double seconds, int64_t steps)
{
    if (seconds < 10) snprintf(d, dn, "%.1fs", seconds);
    else fmt_duration(d, dn, seconds);
    if (steps > 0) {
        double ms = seconds * 1000.0 / steps;
        if (ms >= 1000) snprintf(timing, tn, "%s %.1fs/step", d, ms / 1000);
        else if (ms >= 1) snprintf(timing, tn, "%s %.0fms/step", d, ms);
        else snprintf(timing, tn, "%s %.0fus/step", d, ms * 1000);
    } else {
        snprintf(timing, tn, "%s", d);
    }
}

/* Appends "<sep>name: 0.1234" for each value; short names turn "accuracy"
 * into "acc".  Returns the new length. */
static int add_metrics(char *line, size_t size, int len, const char *sep, int shortnames,
                       const char *const *names, const double *values, int nvalues)
{
    for (int i = 0; i < nvalues && len < (int)size - 64; i++) {
        const char *nm = names && names[i] ? names[i] : "metric";
        char sn[64];
        snprintf(sn, sizeof sn, "%s", nm);
        if (shortnames) {
            char *p = strstr(sn, "accuracy");
            if (p) memmove(p + 3, p + 8, strlen(p + 8) + 1);
        }
        char v[32];
        if (isfinite(values[i])) snprintf(v, sizeof v, "%.4f", values[i]);
        else snprintf(v, sizeof v, "%s", isnan(values[i]) ? "nan" : "inf");
        len += snprintf(line + len, size - (size_t)len, "%s%s: %s", sep, sn, v);
    }
    return len;
}

int ml_format_epoch(char *buf, size_t n, int width, int epoch, int epochs, int64_t steps, double seconds,
                    const char *const *names, const double *values, int nvalues, int ascii)
{
    if (!buf || n == 0) return 0;
    buf[0] = 0;
    (void)ascii;
    char head[64], timing[64];
    int ew = epochs > 0 ? snprintf(NULL, 0, "%d", epochs) : 1;
    if (epochs > 0) snprintf(head, sizeof head, "Epoch %*d/%d", ew, epoch, epochs);
    else snprintf(head, sizeof head, "Epoch %d", epoch);
    char d[32];
    fmt_timing(timing, sizeof timing, d, sizeof d, seconds, steps);
    /* long names, then short ones ("acc"), then tighter separators and less timing */
    for (int attempt = 0; attempt < 4; attempt++) {
        int shortnames = attempt >= 1;
        const char *sep = attempt >= 2 ? "  " : " - ";
        char line[1024];
        int len = snprintf(line, sizeof line, "%s", head);
        if (attempt <= 1) len += snprintf(line + len, sizeof line - (size_t)len, " - %s", timing);
        else if (attempt == 2) len += snprintf(line + len, sizeof line - (size_t)len, "  %s", d);
        add_metrics(line, sizeof line, len, sep, shortnames, names, values, nvalues);
        if (width <= 0 || ml_utf8_width(line) <= width || attempt == 3) {
            snprintf(buf, n, "%s", line);
            break;
        }
    }
    return ml_utf8_width(buf);
}

int ml_format_steps(char *buf, size_t n, int width, int64_t done, int64_t total, double seconds,
                    const char *const *names, const double *values, int nvalues, int ascii)
{
    if (!buf || n == 0) return 0;
    buf[0] = 0;
    (void)ascii; /* Keras's bar is ASCII everywhere */
    if (total < 1) total = 1;
    if (done < 0) done = 0;
    if (done > total) done = total;
    int finished = done >= total;
    char count[64], timing[64], d[32];
    int tw = snprintf(NULL, 0, "%lld", (long long)total);
    snprintf(count, sizeof count, "%*lld/%lld", tw, (long long)done, (long long)total);
    if (finished) {
        fmt_timing(timing, sizeof timing, d, sizeof d, seconds, total);
    } else if (done > 0 && seconds > 0) {
        double eta = seconds * (double)(total - done) / (double)done;
        if (eta < 59.5) snprintf(d, sizeof d, "%.0fs", eta);
        else fmt_duration(d, sizeof d, eta);
        snprintf(timing, sizeof timing, "ETA: %s", d);
    } else {
        snprintf(timing, sizeof timing, "ETA: -");
        snprintf(d, sizeof d, "ETA: -");
    }
    /* a bar of 30, narrower ones (to 10) when needed; then short names; no
     * per-step time; no bar; tighter separators; fewer values */
    for (int level = 0;; level++) {
        int shortnames = level >= 1, notime = level >= 2 && finished, nobar = level >= 3;
        const char *sep = level >= 4 ? "  " : " - ";
        int nv = level >= 5 ? nvalues - (level - 4) : nvalues;
        if (nv < 0) nv = 0;
        char line[1024], tail[1024];
        int len = snprintf(line, sizeof line, "%s", count);
        int tl = snprintf(tail, sizeof tail, "%s%s", sep, notime ? d : timing);
        tl = add_metrics(tail, sizeof tail, tl, sep, shortnames, names, values, nv);
        int barw = 30;
        if (width > 0 && width - len - tl - 3 < barw) barw = width - len - tl - 3; /* " [" and "]" */
        if (!nobar && barw >= 10) {
            /* "[====>.....]", Keras's: the head is '=' once finished */
            int fill = (int)((double)barw * (double)done / (double)total);
            len += snprintf(line + len, sizeof line - (size_t)len, " [");
            for (int i = 0; i < barw; i++) line[len++] = i < fill - 1 ? '=' : i == fill - 1 ? (finished ? '=' : '>') : '.';
            line[len++] = ']';
            line[len] = 0;
        } else if (!nobar) {
            continue; /* no room for a bar: try the next level */
        }
        snprintf(line + len, sizeof line - (size_t)len, "%s", tail);
        if (width <= 0 || ml_utf8_width(line) <= width || nv == 0) {
            snprintf(buf, n, "%s", line);
            break;
        }
    }
    if (width > 0 && ml_utf8_width(buf) > width) buf[width < (int)n ? width : (int)n - 1] = 0; /* ASCII */
    return ml_utf8_width(buf);
}

/* ---- progress state for the core's progress hook ---- */
static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec * 1e-9;
}

void ml_pbar_start(ml_pbar *p, int width, int ascii)
{
    memset(p, 0, sizeof *p);
    p->width = width;
    p->ascii = ascii;
    p->t0 = now_s();
    p->last_draw = -1;
}

int ml_pbar_update(ml_pbar *p, const char *stage, int64_t done, int64_t total)
{
    double t = now_s();
    if (stage && strcmp(stage, p->stage) != 0) {
        /* a new stage restarts the clock */
        snprintf(p->stage, sizeof p->stage, "%s", stage);
        p->t0 = t;
        p->last_draw = -1;
    }
    int finished = total > 0 && done >= total;
    if (!finished && p->last_draw >= 0 && t - p->last_draw < 0.1) return 0;
    p->last_draw = t;
    ml_format_progress(p->line, sizeof p->line, p->width, p->stage, done, total, t - p->t0, p->ascii);
    return 1;
}
