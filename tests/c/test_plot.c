/* The plotting layer: golden text of every chart kind in braille, half-block
 * and ASCII modes (tests/fixtures/plot/), properties (every line exactly as
 * wide as the box, as many lines as its height, a point in the right cell),
 * ticks and number formats, progress and epoch lines, SVG, bad input.
 *
 * Regenerate the golden files on purpose (after a deliberate change in how
 * charts look; read the diff before committing):
 *     make tests-build && MNISTLAB_REGEN_GOLDEN=1 build/tests/test_plot */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/fileio.h"
#include "data/dataset.h"
#include "plot/draw.h"
#include "plot/plot.h"

#define GOLD "tests/fixtures/plot/"

/* ---- helpers ---- */
static char *plain(const ml_text *t)
{
    char *s = ml_text_plain(t);
    size_t n = strlen(s);
    char *r = malloc(n + 2);
    memcpy(r, s, n);
    r[n] = '\n';
    r[n + 1] = 0;
    free(s);
    return r;
}

/* Compares the picture with its golden file (or writes it when regenerating). */
static void golden(const ml_text *t, const char *name)
{
    char path[256];
    snprintf(path, sizeof path, GOLD "%s.txt", name);
    char *got = plain(t);
    if (getenv("MNISTLAB_REGEN_GOLDEN")) {
        assert_int_equal(ml_write_file_atomic(path, got, strlen(got)), ML_OK);
        free(got);
        return;
    }
    char *want = NULL;
    size_t n = 0;
    if (ml_read_file(path, &want, &n) != ML_OK) {
        print_error("missing golden file %s (regenerate: MNISTLAB_REGEN_GOLDEN=1 build/tests/test_plot)\n", path);
        free(got);
        fail();
    }
    if (strcmp(got, want) != 0) {
        /* show the first differing line */
        const char *a = got, *b = want;
        int line = 1;
        while (*a && *a == *b) {
            if (*a == '\n') line++;
            a++;
            b++;
        }
        print_error("%s differs from the golden file at line %d\n--- got:\n%s\n", path, line, got);
        free(got);
        free(want);
        fail();
    }
    free(got);
    free(want);
}

/* Every line exactly w cells (both by ncells and by the UTF-8 text), h lines. */
static void check_box(const ml_text *t, int w, int h)
{
    assert_int_equal(t->nlines, h);
    for (int i = 0; i < t->nlines; i++) {
        assert_int_equal(t->lines[i].ncells, w);
        assert_int_equal(ml_utf8_width(t->lines[i].text), w);
    }
}

static void check_ascii(const ml_text *t)
{
    for (int i = 0; i < t->nlines; i++)
        for (const unsigned char *p = (const unsigned char *)t->lines[i].text; *p; p++) assert_true(*p < 128);
}

static ml_plot_opts mode_opts(int mode, int w, int h)
{
    ml_plot_opts o;
    ml_plot_opts_init(&o);
    o.width = w;
    o.height = h;
    o.canvas = mode == 0 ? ML_CANVAS_BRAILLE : mode == 1 ? ML_CANVAS_HALF : ML_CANVAS_ASCII;
    o.ascii = mode == 2;
    o.color = 1;
    return o;
}

static const char *const MODE[3] = {"braille", "half", "ascii"};

/* Training curves of a small MLP (made up, smooth). */
static double ACC[12], VACC[12], LOSS[12], VLOSS[12];
static void make_history(void)
{
    for (int i = 0; i < 12; i++) {
        ACC[i] = 0.98 - 0.12 * exp(-i / 2.5);
        VACC[i] = 0.955 - 0.08 * exp(-i / 2.0) - 0.002 * i;
        LOSS[i] = 0.05 + 0.45 * exp(-i / 2.5);
        VLOSS[i] = 0.14 + 0.3 * exp(-i / 2.0) + 0.006 * i;
    }
}

/* Four clusters of points, deterministic. */
static void make_clusters(float *P, float *cls, int n)
{
    unsigned s = 12345;
    for (int i = 0; i < n; i++) {
        int k = i % 4;
        s = s * 1103515245u + 12345u;
        double a = (s >> 8) % 10000 / 10000.0 * 6.283185;
        s = s * 1103515245u + 12345u;
        double r = sqrt((s >> 8) % 10000 / 10000.0) * 1.6;
        P[2 * i] = (float)(k * 2.5 + r * cos(a));
        P[2 * i + 1] = (float)((k % 2 ? 3 : -1) + k * 0.5 + r * sin(a));
        cls[i] = (float)k;
    }
}

/* ---- goldens ---- */
static void test_golden_line(void **state)
{
    (void)state;
    make_history();
    for (int m = 0; m < 3; m++) {
        ml_plot_opts o = mode_opts(m, 72, 18);
        o.title = "Accuracy";
        o.xlabel = "epoch";
        o.ylabel = "accuracy";
        ml_series s[2] = {{"train", NULL, ACC, 12}, {"validation", NULL, VACC, 12}};
        ml_text t;
        ml_text_init(&t);
        assert_int_equal(ml_plot_line(&t, s, 2, &o), ML_OK);
        check_box(&t, 72, 18);
        if (m == 2) check_ascii(&t);
        char name[64];
        snprintf(name, sizeof name, "line_%s", MODE[m]);
        golden(&t, name);
        ml_text_free(&t);

        /* a dense curve on a log axis: explained variance by component */
        double ev[200];
        for (int i = 0; i < 200; i++) ev[i] = 0.097 * exp(-i / 18.0) + 1e-4;
        ml_series e = {"ratio", NULL, ev, 200};
        o = mode_opts(m, 60, 14);
        o.logy = 1;
        o.title = "Explained variance ratio";
        ml_text_init(&t);
        assert_int_equal(ml_plot_line(&t, &e, 1, &o), ML_OK);
        check_box(&t, 60, 14);
        snprintf(name, sizeof name, "line_log_%s", MODE[m]);
        golden(&t, name);
        ml_text_free(&t);

        /* three dense curves on top of each other, no colour: markers every
         * few points, shifted per series, so that each curve shows */
        ml_series three[3] = {{"784 components", NULL, ev, 200}, {"120", NULL, ev, 120}, {"40", NULL, ev, 40}};
        o = mode_opts(m, 70, 14);
        o.color = 0;
        ml_text_init(&t);
        assert_int_equal(ml_plot_line(&t, three, 3, &o), ML_OK);
        check_box(&t, 70, 14);
        snprintf(name, sizeof name, "line_dense_nocolor_%s", MODE[m]);
        golden(&t, name);
        /* markers are spaced out: no row holds more than a dozen of them */
        for (int r = 0; r < t.nlines - 3; r++) {
            int marks = 0;
            const char *q = t.lines[r].text;
            while (*q) {
                uint32_t cp = ml_utf8_next(&q);
                if (cp == 0x25CF || cp == 0x25A0 || cp == 0x25B2 || (m == 2 && (cp == 'o' || cp == '#' || cp == '^')))
                    marks++;
            }
            assert_true(marks <= 12);
        }
        ml_text_free(&t);
    }
}

static void test_golden_scatter(void **state)
{
    (void)state;
    enum { N = 800 };
    static float P[2 * N], cls[N];
    make_clusters(P, cls, N);
    const char *names[4] = {"zero", "one", "two", "three"};
    for (int m = 0; m < 3; m++)
        for (int color = 0; color < 2; color++) {
            ml_plot_opts o = mode_opts(m, 64, 18);
            o.color = color;
            o.title = "PCA projection";
            o.xlabel = "PC1";
            ml_text t;
            ml_text_init(&t);
            assert_int_equal(ml_plot_scatter(&t, P, 2, P + 1, 2, N, cls, 4, names, &o), ML_OK);
            check_box(&t, 64, 18);
            char name[64];
            snprintf(name, sizeof name, "scatter_%s%s", MODE[m], color ? "" : "_nocolor");
            golden(&t, name);
            ml_text_free(&t);
        }
}

static void test_golden_bars(void **state)
{
    (void)state;
    double counts[10] = {980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009};
    double two[20];
    for (int i = 0; i < 10; i++) {
        two[2 * i] = counts[i] * 4;
        two[2 * i + 1] = counts[i];
    }
    const char *fashion[10] = {"T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
                               "Sandal",      "Shirt",   "Sneaker",  "Bag",   "Ankle boot"};
    const char *series[2] = {"train", "test"};
    for (int a = 0; a < 2; a++) {
        const char *suf = a ? "ascii" : "utf8";
        char name[64];
        ml_text t;
        ml_plot_opts o = mode_opts(a ? 2 : 0, 80, 16);
        o.title = "Labels in the test set";
        o.xlabel = "digit";
        ml_text_init(&t);
        assert_int_equal(ml_plot_bar(&t, counts, 10, 1, NULL, NULL, &o), ML_OK);
        check_box(&t, 80, 16);
        snprintf(name, sizeof name, "bar_%s", suf);
        golden(&t, name);
        ml_text_free(&t);

        /* grouped, no room for value labels: a y axis instead */
        o = mode_opts(a ? 2 : 0, 80, 16);
        o.title = "Train and test";
        ml_text_init(&t);
        assert_int_equal(ml_plot_bar(&t, two, 10, 2, NULL, series, &o), ML_OK);
        check_box(&t, 80, 16);
        snprintf(name, sizeof name, "bar_grouped_%s", suf);
        golden(&t, name);
        ml_text_free(&t);

        /* long labels: horizontal on its own */
        o = mode_opts(a ? 2 : 0, 60, 0);
        o.title = "Fashion-MNIST classes";
        ml_text_init(&t);
        assert_int_equal(ml_plot_bar(&t, counts, 10, 1, fashion, NULL, &o), ML_OK);
        check_box(&t, 60, 11);
        snprintf(name, sizeof name, "barh_%s", suf);
        golden(&t, name);
        ml_text_free(&t);

        /* no colour: series told apart by their fill */
        o = mode_opts(a ? 2 : 0, 60, 0);
        o.horizontal = 1;
        o.color = 0;
        ml_text_init(&t);
        assert_int_equal(ml_plot_bar(&t, two, 4, 2, NULL, series, &o), ML_OK);
        snprintf(name, sizeof name, "barh_grouped_nocolor_%s", suf);
        golden(&t, name);
        ml_text_free(&t);
    }
}

static void test_golden_hist_heatmap_table(void **state)
{
    (void)state;
    static double v[3000];
    unsigned s = 7;
    for (int i = 0; i < 3000; i++) {
        double u = 0;
        for (int j = 0; j < 6; j++) {
            s = s * 1103515245u + 12345u;
            u += (s >> 8) % 10000 / 10000.0;
        }
        v[i] = u - 3;
    }
    double cm[100];
    for (int i = 0; i < 10; i++)
        for (int j = 0; j < 10; j++) cm[i * 10 + j] = i == j ? 950 + 17 * i : ((i * 7 + j * 3) % 11 == 0 ? 3 * (i + j) : 0);
    const char *cells[] = {"Decision tree", "depth 44, 3,012 leaves", "1.0000", "",       "0.8712",
                           "MLP0",          "784-32-10, 25,450 w",    "0.9712", "0.9583", "0.9561",
                           "CNN1",          "conv 32-64-32, dense 64", "0.9981", "0.9902", "0.9897"};
    const char *hdr[] = {"Model", "Params", "Train", "Validation", "Test"};
    for (int a = 0; a < 2; a++) {
        const char *suf = a ? "ascii" : "utf8";
        char name[64];
        ml_text t;
        ml_plot_opts o = mode_opts(a ? 2 : 0, 70, 14);
        o.title = "Sum of six uniforms";
        ml_text_init(&t);
        assert_int_equal(ml_plot_hist(&t, v, 3000, 15, &o), ML_OK);
        check_box(&t, 70, 14);
        snprintf(name, sizeof name, "hist_%s", suf);
        golden(&t, name);
        ml_text_free(&t);

        o = mode_opts(a ? 2 : 0, 70, 0);
        o.title = "Confusion matrix";
        o.xlabel = "predicted";
        o.ylabel = "true";
        ml_text_init(&t);
        assert_int_equal(ml_plot_heatmap(&t, cm, 10, 10, NULL, NULL, &o), ML_OK);
        check_box(&t, 70, 13);
        snprintf(name, sizeof name, "heatmap_%s", suf);
        golden(&t, name);
        ml_text_free(&t);

        o = mode_opts(a ? 2 : 0, 34, 0); /* too narrow for numbers: shades */
        o.title = "Confusion matrix";
        ml_text_init(&t);
        assert_int_equal(ml_plot_heatmap(&t, cm, 10, 10, NULL, NULL, &o), ML_OK);
        snprintf(name, sizeof name, "heatmap_shaded_%s", suf);
        golden(&t, name);
        ml_text_free(&t);

        o = mode_opts(a ? 2 : 0, 0, 0);
        o.title = "Results";
        ml_text_init(&t);
        assert_int_equal(ml_plot_table(&t, cells, 3, 5, hdr, NULL, &o), ML_OK);
        snprintf(name, sizeof name, "table_%s", suf);
        golden(&t, name);
        ml_text_free(&t);

        o = mode_opts(a ? 2 : 0, 58, 0); /* squeezed: text columns wrap, numbers do not */
        ml_text_init(&t);
        assert_int_equal(ml_plot_table(&t, cells, 3, 5, hdr, NULL, &o), ML_OK);
        check_box(&t, 58, t.nlines);
        assert_true(t.nlines > 7); /* text wraps onto more lines rather than being cut */
        snprintf(name, sizeof name, "table_narrow_%s", suf);
        golden(&t, name);
        assert_non_null(strstr(t.lines[3].text, "0.8712"));
        char *all = ml_text_plain(&t);
        assert_non_null(strstr(all, "Decision"));
        assert_non_null(strstr(all, "leaves"));
        free(all);
        ml_text_free(&t);
    }
}

static void test_golden_images_history(void **state)
{
    (void)state;
    ml_dataset d;
    assert_int_equal(ml_dataset_load("mnist", ML_SUBSET_TEST, &d), ML_OK);
    const char *titles[10];
    char tb[10][32];
    for (int i = 0; i < 10; i++) {
        snprintf(tb[i], sizeof tb[i], "Class %d", (int)d.y->data[i]);
        titles[i] = tb[i];
    }
    make_history();
    for (int a = 0; a < 2; a++) {
        const char *suf = a ? "ascii" : "utf8";
        char name[64];
        ml_text t;
        ml_plot_opts o = mode_opts(a ? 2 : 0, 0, 0);
        o.title = "Class 7";
        ml_text_init(&t);
        assert_int_equal(ml_plot_image(&t, d.X->data, 28, 28, &o), ML_OK);
        check_box(&t, 28, 15);
        snprintf(name, sizeof name, "digit_%s", suf);
        golden(&t, name);
        ml_text_free(&t);

        o = mode_opts(a ? 2 : 0, 80, 0);
        o.cols = 5;
        ml_text_init(&t);
        assert_int_equal(ml_plot_images(&t, d.X->data, 10, 28, 28, titles, &o), ML_OK);
        check_box(&t, 80, 2 * 8 + 1);
        snprintf(name, sizeof name, "digits_%s", suf);
        golden(&t, name);
        assert_non_null(strstr(t.lines[0].text, "Class 7"));
        ml_text_free(&t);

        o = mode_opts(a ? 2 : 0, 80, 30);
        ml_text_init(&t);
        assert_int_equal(ml_plot_history(&t, LOSS, ACC, VLOSS, VACC, 12, &o), ML_OK);
        check_box(&t, 80, 30);
        snprintf(name, sizeof name, "history_%s", suf);
        golden(&t, name);
        ml_text_free(&t);
    }
    /* signed data: a diverging picture (a ring of + around a core of -) */
    static float sg[20 * 20];
    for (int r = 0; r < 20; r++)
        for (int q = 0; q < 20; q++) {
            double d2 = hypot(r - 9.5, q - 9.5);
            sg[r * 20 + q] = (float)(d2 < 4 ? -(4 - d2) / 4 : d2 < 9 ? sin((d2 - 4) / 5 * 3.14159) : 0);
        }
    for (int a = 0; a < 3; a++) {
        ml_plot_opts so = mode_opts(a == 2 ? 2 : 0, 0, 0);
        so.color = a == 0;
        ml_text t2;
        ml_text_init(&t2);
        assert_int_equal(ml_plot_image(&t2, sg, 20, 20, &so), ML_OK);
        check_box(&t2, 20, 10);
        char name[64];
        snprintf(name, sizeof name, "image_signed_%s", a == 0 ? "color" : a == 1 ? "nocolor" : "ascii");
        golden(&t2, name);
        if (a == 0) {
            /* the centre is negative (blue), the ring positive (orange) */
            assert_int_equal(t2.lines[5].color[10], ML_COLOR_SERIES + 0);
            assert_int_equal(t2.lines[5].color[3], ML_COLOR_SERIES + 1);
        }
        ml_text_free(&t2);
    }
    /* wide: side by side */
    ml_plot_opts o = mode_opts(0, 140, 16);
    ml_text t;
    ml_text_init(&t);
    assert_int_equal(ml_plot_history(&t, LOSS, ACC, VLOSS, VACC, 12, &o), ML_OK);
    check_box(&t, 140, 16);
    golden(&t, "history_wide_braille");
    ml_text_free(&t);
    ml_dataset_free(&d);
}

/* ---- properties ---- */
static void test_box_property(void **state)
{
    (void)state;
    static const int sizes[][2] = {{16, 6}, {20, 8}, {41, 11}, {80, 24}, {123, 37}, {160, 50}};
    enum { N = 500 };
    static float P[2 * N], cls[N];
    make_clusters(P, cls, N);
    make_history();
    double counts[10] = {5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949};
    for (size_t k = 0; k < sizeof sizes / sizeof *sizes; k++)
        for (int m = 0; m < 3; m++) {
            int w = sizes[k][0], h = sizes[k][1];
            ml_plot_opts o = mode_opts(m, w, h);
            o.title = "A title longer than the narrowest boxes";
            o.xlabel = "x";
            ml_series s[2] = {{"train", NULL, ACC, 12}, {"validation", NULL, VACC, 12}};
            ml_text t;
            ml_text_init(&t);
            ml_status st = ml_plot_line(&t, s, 2, &o);
            if (st == ML_OK) check_box(&t, w, h);
            else assert_int_equal(t.nlines, 0);
            ml_text_free(&t);
            ml_text_init(&t);
            st = ml_plot_scatter(&t, P, 2, P + 1, 2, N, cls, 4, NULL, &o);
            if (st == ML_OK) check_box(&t, w, h);
            ml_text_free(&t);
            ml_text_init(&t);
            st = ml_plot_hist(&t, ACC, 12, 0, &o);
            if (st == ML_OK) check_box(&t, w, h);
            ml_text_free(&t);
            ml_text_init(&t);
            st = ml_plot_bar(&t, counts, 10, 1, NULL, NULL, &o);
            if (st == ML_OK) check_box(&t, w, h);
            else assert_int_equal(t.nlines, 0);
            ml_text_free(&t);
            if (m == 2) {
                ml_text_init(&t);
                if (ml_plot_line(&t, s, 2, &o) == ML_OK) check_ascii(&t);
                ml_text_free(&t);
            }
        }
    /* the common sizes always draw */
    ml_plot_opts o = mode_opts(0, 80, 24);
    ml_series s = {"a", NULL, ACC, 12};
    ml_text t;
    ml_text_init(&t);
    assert_int_equal(ml_plot_line(&t, &s, 1, &o), ML_OK);
    ml_text_free(&t);
}

/* Finds the axis corner '└' (or '+' in ASCII at the bottom left). */
static void find_corner(const ml_text *t, int *cx, int *cy, const char *corner)
{
    *cx = *cy = -1;
    for (int i = 0; i < t->nlines; i++) {
        const char *p = strstr(t->lines[i].text, corner);
        if (p) {
            /* cells before it: count code points */
            char tmp[1024];
            size_t n = (size_t)(p - t->lines[i].text);
            memcpy(tmp, t->lines[i].text, n);
            tmp[n] = 0;
            *cx = ml_utf8_width(tmp);
            *cy = i;
            return;
        }
    }
}

static uint32_t cell_at(const ml_text *t, int x, int y)
{
    const char *p = t->lines[y].text;
    uint32_t cp = 0;
    for (int i = 0; i <= x && *p; i++) cp = ml_utf8_next(&p);
    return cp;
}

static void test_point_lands_in_cell(void **state)
{
    (void)state;
    static const float xs[] = {0, 10, 0, 10, 5, 2.5f}, ys[] = {0, 10, 10, 0, 5, 7.5f};
    for (int m = 0; m < 3; m++)
        for (int i = 0; i < 6; i++) {
            ml_plot_opts o = mode_opts(m, 41, 13);
            o.xmin = 0;
            o.xmax = 10;
            o.ymin = 0;
            o.ymax = 10;
            ml_text t;
            ml_text_init(&t);
            assert_int_equal(ml_plot_scatter(&t, &xs[i], 1, &ys[i], 1, 1, NULL, 0, NULL, &o), ML_OK);
            int cx, cy;
            if (m == 2) {
                /* the axis row: "  ++----+--": the corner is its first '+' */
                cx = cy = -1;
                for (int r = 0; r < t.nlines && cy < 0; r++)
                    if (strstr(t.lines[r].text, "--")) {
                        cy = r;
                        cx = (int)(strchr(t.lines[r].text, '+') - t.lines[r].text);
                    }
            } else {
                find_corner(&t, &cx, &cy, "\xe2\x94\x94");
            }
            assert_true(cx >= 0);
            int px0 = cx + 1, pw = 41 - px0 - 1, ph = cy; /* no title: the plot starts at row 0 */
            int sx = m == 0 ? 2 : 1, sy = m == 0 ? 4 : m == 1 ? 2 : 1;
            /* the cell an exact reading of the axes gives */
            int ex = px0 + (int)floor(xs[i] / 10.0 * (pw * sx - 1) + 0.5) / sx;
            int ey = (int)floor((1 - ys[i] / 10.0) * (ph * sy - 1) + 0.5) / sy;
            int found = 0;
            for (int y = 0; y < ph; y++)
                for (int x = px0; x < px0 + pw; x++) {
                    uint32_t cp = cell_at(&t, x, y);
                    if (cp != ' ') {
                        assert_int_equal(x, ex);
                        assert_int_equal(y, ey);
                        found++;
                    }
                }
            assert_int_equal(found, 1);
            /* corners are the corners of the plot area */
            if (xs[i] == 0) assert_int_equal(ex, px0);
            if (xs[i] == 10) assert_int_equal(ex, px0 + pw - 1);
            if (ys[i] == 10) assert_int_equal(ey, 0);
            if (ys[i] == 0) assert_int_equal(ey, ph - 1);
            ml_text_free(&t);
        }
}

static void test_colors_and_markers(void **state)
{
    (void)state;
    /* a point of class 3 is drawn in the colour of class 3 */
    float x[2] = {0, 1}, y[2] = {0, 1}, c[2] = {3, 0};
    ml_plot_opts o = mode_opts(0, 30, 10);
    ml_text t;
    ml_text_init(&t);
    assert_int_equal(ml_plot_scatter(&t, x, 1, y, 1, 2, c, 4, NULL, &o), ML_OK);
    int cx, cy;
    find_corner(&t, &cx, &cy, "\xe2\x94\x94");
    assert_int_equal(t.lines[cy - 1].color[cx + 1], ML_COLOR_SERIES + 3);
    ml_text_free(&t);
    /* without colour, classes are told apart by their marker */
    o.color = 0;
    ml_text_init(&t);
    assert_int_equal(ml_plot_scatter(&t, x, 1, y, 1, 2, c, 4, NULL, &o), ML_OK);
    assert_int_equal(cell_at(&t, cx + 1, cy - 1), '3');
    assert_int_equal(t.lines[cy - 1].color[cx + 1], ML_COLOR_DEFAULT);
    ml_text_free(&t);
}

/* ---- ticks and numbers ---- */
static void test_ticks_and_numbers(void **state)
{
    (void)state;
    ml_axis a;
    assert_int_equal(ml_axis_init(&a, 0.13, 0.97, 6, 0, 0, 1, "t"), ML_OK);
    assert_true(a.lo <= 0.13 && a.hi >= 0.97);
    assert_true(a.n >= 3 && a.n <= 6);
    for (int i = 0; i < a.n; i++) {
        double k = a.t[i] / a.step;
        assert_true(fabs(k - round(k)) < 1e-9); /* round multiples of the step */
    }
    assert_true(fabs(a.step - 0.2) < 1e-12);
    assert_int_equal(ml_axis_init(&a, 1, 15, 8, 1, 0, 0, "t"), ML_OK); /* epochs */
    for (int i = 0; i < a.n; i++) assert_true(a.t[i] == floor(a.t[i]));
    assert_int_equal(ml_axis_init(&a, 0.001, 0.3, 6, 0, 1, 1, "t"), ML_OK);
    assert_true(fabs(a.t[0] - 0.001) < 1e-12 && fabs(a.t[a.n - 1] - 0.1) < 1e-12);
    assert_int_equal(ml_axis_init(&a, -1, 1, 6, 0, 1, 1, "line"), ML_EINVAL);
    assert_non_null(strstr(ml_last_error(), "log scale"));

    char b[64];
    assert_int_equal(ml_fmt_num(b, sizeof b, 5923, 6), 4);
    assert_string_equal(b, "5923");
    assert_int_equal(ml_fmt_num(b, sizeof b, 56000, 4), 3);
    assert_string_equal(b, "56k");
    ml_fmt_num(b, sizeof b, 1234567, 4);
    assert_string_equal(b, "1.2M");
    ml_fmt_num(b, sizeof b, 0.95612, 6);
    assert_string_equal(b, "0.9561");
    ml_fmt_num(b, sizeof b, 0.00012, 6);
    assert_string_equal(b, "1.2e-4"); /* "0.00012" would not fit: scientific, not cut */
    assert_int_equal(ml_fmt_num(b, sizeof b, 123456789, 2), -1); /* never cut mid-number */
    ml_fmt_tick(b, sizeof b, 0.5, 0.25, 8);
    assert_string_equal(b, "0.50");
    ml_fmt_tick(b, sizeof b, 1e-17, 0.2, 8);
    assert_string_equal(b, "0.0");
    char f[64];
    assert_int_equal(ml_fit(f, sizeof f, "T-shirt/top", 6, 0), 6);
    assert_string_equal(f, "T-shi\xe2\x80\xa6");
    assert_int_equal(ml_fit(f, sizeof f, "T-shirt/top", 6, 1), 6);
    assert_string_equal(f, "T-shi~");
}

static void test_progress_lines(void **state)
{
    (void)state;
    char b[1024];
    int w = ml_format_progress(b, sizeof b, 80, "kmeans", 1234, 5000, 1.5, 1);
    assert_int_equal(w, 80);
    assert_int_equal((int)strlen(b), 80);
    assert_non_null(strstr(b, "kmeans  24% ["));
    assert_non_null(strstr(b, "1234/5000"));
    assert_non_null(strstr(b, "823/s"));
    assert_non_null(strstr(b, "ETA 0:05"));
    ml_format_progress(b, sizeof b, 80, "epoch 3/10", 5000, 5000, 75, 0);
    assert_non_null(strstr(b, "100%"));
    assert_non_null(strstr(b, "in 1:15"));
    assert_int_equal(ml_utf8_width(b), 80);
    /* narrow: parts go, never a cut number, still exactly the width */
    for (int width = 20; width <= 60; width += 7) {
        assert_int_equal(ml_format_progress(b, sizeof b, width, "trees", 77, 100, 2, 0), width);
        assert_int_equal(ml_utf8_width(b), width);
    }
    ml_format_progress(b, sizeof b, 0, "trees", 17, 0, 3.5, 1);
    assert_string_equal(b, "trees 17  4.9/s  0:04");

    const char *nm[] = {"loss", "accuracy", "val_loss", "val_accuracy"};
    double v[] = {0.29601, 0.91551, 0.16542, 0.95183};
    ml_format_epoch(b, sizeof b, 0, 3, 10, 1500, 3.2, nm, v, 4, 0);
    assert_string_equal(b, "Epoch  3/10 - 3.2s 2ms/step - loss: 0.2960 - accuracy: 0.9155 - val_loss: 0.1654 - "
                           "val_accuracy: 0.9518");
    ml_format_epoch(b, sizeof b, 80, 3, 10, 1500, 3.2, nm, v, 4, 0);
    assert_string_equal(b, "Epoch  3/10  3.2s  loss: 0.2960  acc: 0.9155  val_loss: 0.1654  val_acc: 0.9518");

    /* Keras's per-batch line: finished (golden), then while the epoch runs */
    ml_format_steps(b, sizeof b, 0, 1400, 1400, 3.2, nm, v, 4, 0);
    assert_string_equal(b, "1400/1400 [==============================] - 3.2s 2ms/step - loss: 0.2960 - accuracy: 0.9155 - "
                           "val_loss: 0.1654 - val_accuracy: 0.9518");
    ml_format_steps(b, sizeof b, 0, 1400, 1400, 75, nm, v, 2, 0);
    assert_string_equal(b, "1400/1400 [==============================] - 1:15 54ms/step - loss: 0.2960 - accuracy: 0.9155");
    ml_format_steps(b, sizeof b, 0, 700, 1400, 1.6, nm, v, 2, 0);
    assert_string_equal(b, " 700/1400 [==============>...............] - ETA: 2s - loss: 0.2960 - accuracy: 0.9155");
    ml_format_steps(b, sizeof b, 0, 0, 1400, 0, nm, v, 0, 0);
    assert_string_equal(b, "   0/1400 [..............................] - ETA: -");
    ml_format_steps(b, sizeof b, 0, 100, 1400, 100, nm, v, 2, 0);
    assert_string_equal(b, " 100/1400 [=>............................] - ETA: 21:40 - loss: 0.2960 - accuracy: 0.9155");
    /* narrow: the bar narrows, then names shorten, per-step time and bar go, then values */
    ml_format_steps(b, sizeof b, 120, 1400, 1400, 3.2, nm, v, 4, 0);
    assert_string_equal(b, "1400/1400 [================] - 3.2s 2ms/step - loss: 0.2960 - accuracy: 0.9155 - "
                           "val_loss: 0.1654 - val_accuracy: 0.9518");
    ml_format_steps(b, sizeof b, 80, 1400, 1400, 3.2, nm, v, 4, 0);
    assert_string_equal(b, "1400/1400  3.2s  loss: 0.2960  acc: 0.9155  val_loss: 0.1654  val_acc: 0.9518");
    ml_format_steps(b, sizeof b, 80, 700, 1400, 1.6, nm, v, 2, 0);
    assert_string_equal(b, " 700/1400 [===========>............] - ETA: 2s - loss: 0.2960 - accuracy: 0.9155");
    for (int width = 10; width <= 140; width += 3) {
        assert_true(ml_format_steps(b, sizeof b, width, 1400, 1400, 3.2, nm, v, 4, 0) <= width);
        assert_true(ml_format_steps(b, sizeof b, width, 300, 1400, 3.2, nm, v, 2, 0) <= width);
        assert_int_equal(ml_utf8_width(b), (int)strlen(b)); /* ASCII */
    }

    ml_pbar p;
    ml_pbar_start(&p, 60, 1);
    assert_int_equal(ml_pbar_update(&p, "fit", 1, 100), 1);
    assert_int_equal(ml_pbar_update(&p, "fit", 2, 100), 0); /* too soon to redraw */
    assert_int_equal(ml_pbar_update(&p, "fit", 100, 100), 1); /* the end always */
    assert_non_null(strstr(p.line, "100/100"));
}

static void test_svg(void **state)
{
    (void)state;
    make_history();
    ml_plot_opts o = mode_opts(0, 60, 14);
    o.title = "A <title> & more";
    ml_series s = {"train", NULL, ACC, 12};
    ml_text t;
    ml_text_init(&t);
    assert_int_equal(ml_plot_line(&t, &s, 1, &o), ML_OK);
    const char *path = "build/test-cache/plot_test.svg";
    system("mkdir -p build/test-cache");
    assert_int_equal(ml_text_write_svg(&t, path), ML_OK);
    char *svg = NULL;
    size_t n;
    assert_int_equal(ml_read_file(path, &svg, &n), ML_OK);
    assert_non_null(strstr(svg, "<svg"));
    assert_non_null(strstr(svg, "&lt;title&gt; &amp; more"));
    assert_non_null(strstr(svg, "<rect x=")); /* braille dots as geometry */
    assert_non_null(strstr(svg, "</svg>"));
    free(svg);
    remove(path);
    assert_int_equal(ml_text_write_svg(&t, "/nonexistent-dir/x.svg"), ML_EIO);
    ml_text_free(&t);
}

/* ---- bad input ---- */
static void test_bad_input(void **state)
{
    (void)state;
    ml_plot_opts o = mode_opts(0, 60, 16);
    ml_text t;
    ml_text_init(&t);
    double y[3] = {1, NAN, 3}, yi[3] = {1, INFINITY, 3}, ok[3] = {1, 2, 3};
    ml_series s = {"loss", NULL, y, 3};
    assert_int_equal(ml_plot_line(&t, &s, 1, &o), ML_EINVAL);
    assert_string_equal(ml_last_error(), "line: series 1 ('loss'): y[2] is NaN; values must be finite");
    s.y = yi;
    assert_int_equal(ml_plot_line(&t, &s, 1, &o), ML_EINVAL);
    assert_non_null(strstr(ml_last_error(), "y[2] is inf"));
    s.y = ok;
    s.n = 0;
    assert_int_equal(ml_plot_line(&t, &s, 1, &o), ML_EINVAL);
    assert_non_null(strstr(ml_last_error(), "is empty"));
    assert_int_equal(ml_plot_line(&t, NULL, 0, &o), ML_EINVAL);
    s.n = 3;
    ml_plot_opts tiny = mode_opts(0, 10, 4);
    assert_int_equal(ml_plot_line(&t, &s, 1, &tiny), ML_EINVAL);
    assert_non_null(strstr(ml_last_error(), "too small"));
    o.logy = 1;
    double neg[3] = {1, -2, 3};
    s.y = neg;
    assert_int_equal(ml_plot_line(&t, &s, 1, &o), ML_EINVAL);
    assert_non_null(strstr(ml_last_error(), "log scale"));
    o.logy = 0;
    float px[2] = {0, 1}, cls[2] = {0, 1.5f};
    assert_int_equal(ml_plot_scatter(&t, px, 1, px, 1, 0, NULL, 0, NULL, &o), ML_EINVAL);
    assert_int_equal(ml_plot_scatter(&t, px, 1, px, 1, 2, cls, 2, NULL, &o), ML_EINVAL);
    assert_non_null(strstr(ml_last_error(), "hue[2]"));
    assert_int_equal(ml_plot_scatter(&t, px, 1, px, 1, 2, cls, 40, NULL, &o), ML_EINVAL);
    double bad[2] = {1, NAN}, negv[2] = {1, -1};
    assert_int_equal(ml_plot_bar(&t, bad, 2, 1, NULL, NULL, &o), ML_EINVAL);
    assert_string_equal(ml_last_error(), "bar: value of '1' is NaN; values must be finite");
    assert_int_equal(ml_plot_bar(&t, negv, 2, 1, NULL, NULL, &o), ML_EINVAL);
    assert_int_equal(ml_plot_bar(&t, ok, 0, 1, NULL, NULL, &o), ML_EINVAL);
    double many[300];
    for (int i = 0; i < 300; i++) many[i] = i;
    ml_plot_opts vert = mode_opts(0, 60, 16);
    vert.horizontal = 0;
    assert_int_equal(ml_plot_bar(&t, many, 300, 1, NULL, NULL, &vert), ML_EINVAL);
    assert_non_null(strstr(ml_last_error(), "do not fit"));
    assert_int_equal(ml_plot_hist(&t, bad, 2, 0, &o), ML_EINVAL);
    assert_int_equal(ml_plot_heatmap(&t, bad, 1, 2, NULL, NULL, &o), ML_EINVAL);
    assert_int_equal(ml_plot_heatmap(&t, ok, 0, 3, NULL, NULL, &o), ML_EINVAL);
    assert_int_equal(ml_plot_image(&t, NULL, 28, 28, &o), ML_EINVAL);
    assert_int_equal(ml_plot_images(&t, (float[4]){0}, 0, 2, 2, NULL, &o), ML_EINVAL);
    const char *cells[2] = {"a", "1"};
    assert_int_equal(ml_plot_table(&t, cells, 1, 2, NULL, "lx", &o), ML_EINVAL);
    ml_plot_opts narrow = mode_opts(0, 8, 0);
    const char *nums[2] = {"123456", "7891011"};
    assert_int_equal(ml_plot_table(&t, nums, 1, 2, NULL, NULL, &narrow), ML_EINVAL);
    assert_non_null(strstr(ml_last_error(), "table:"));
    assert_int_equal(ml_plot_history(&t, NULL, NULL, NULL, NULL, 5, &o), ML_EINVAL);
    /* nothing was appended by any failure */
    assert_int_equal(t.nlines, 0);
    ml_text_free(&t);
}

/* Random data with extreme values (huge, tiny, denormal, negative on log
 * axes) and random boxes: every chart either draws its exact box or fails
 * with a message; nothing crashes (run under make check-asan too). */
static double pick(unsigned *s)
{
    *s = *s * 1103515245u + 12345u;
    static const double v[] = {0, 1, -1, 1e308, -1e308, 1e-308, 5e-324, 1e15, 0.5, 3, -7, 123456789};
    return v[(*s >> 8) % 12] * (1 + ((*s >> 4) % 7) * 1e-3);
}

static void test_random_inputs(void **state)
{
    (void)state;
    unsigned s = 2024;
    for (int it = 0; it < 1500; it++) {
        int n = 1 + (int)((s >> 3) % 20);
        double y[32], x[32], ay[32];
        float fx[32], fy[32], cl[32];
        for (int i = 0; i < n; i++) {
            y[i] = pick(&s);
            x[i] = pick(&s);
            ay[i] = fabs(y[i]);
            fx[i] = (float)x[i];
            fy[i] = (float)y[i];
            cl[i] = (float)(i % 3);
        }
        ml_plot_opts o;
        ml_plot_opts_init(&o);
        o.width = (int)((s >> 5) % 100);
        o.height = (int)((s >> 9) % 40);
        o.canvas = (ml_canvas_mode)(1 + (s >> 2) % 3);
        o.ascii = o.canvas == ML_CANVAS_ASCII;
        o.logy = (s >> 11) % 4 == 0;
        o.color = (s >> 21) % 2;
        if ((s >> 13) % 5 == 0) o.ymin = pick(&s), o.ymax = pick(&s);
        if ((s >> 14) % 5 == 0) o.xmin = pick(&s), o.xmax = pick(&s);
        ml_text t;
        ml_text_init(&t);
        ml_series se = {"a", (s >> 15) % 2 ? x : NULL, y, n};
        int boxed = o.width > 0 && o.height > 0;
        if (ml_plot_line(&t, &se, 1, &o) == ML_OK && boxed) check_box(&t, o.width, o.height);
        ml_text_free(&t);
        ml_text_init(&t);
        if (ml_plot_scatter(&t, fx, 1, fy, 1, n, cl, 3, NULL, &o) == ML_OK && boxed) check_box(&t, o.width, o.height);
        ml_text_free(&t);
        ml_text_init(&t);
        if (ml_plot_hist(&t, y, n, (int)((s >> 16) % 30), &o) == ML_OK && boxed) check_box(&t, o.width, o.height);
        ml_text_free(&t);
        ml_text_init(&t);
        o.horizontal = (int)((s >> 17) % 3) - 1;
        o.values = (int)((s >> 19) % 3) - 1;
        if (ml_plot_bar(&t, ay, n, 1, NULL, NULL, &o) == ML_OK && boxed) check_box(&t, o.width, o.height);
        ml_plot_heatmap(&t, y, 1, n, NULL, NULL, &o);
        ml_plot_image(&t, fy, 1, n, &o);
        ml_plot_history(&t, y, y, NULL, y, n, &o);
        ml_text_free(&t);
        char b[512];
        int w = ml_format_progress(b, sizeof b, o.width, "x", (int64_t)fmod(y[0], 1e9), (int64_t)fmod(x[0], 1e9),
                                   x[1], o.ascii);
        if (o.width > 0) assert_int_equal(w, o.width);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_golden_line),
        cmocka_unit_test(test_golden_scatter),
        cmocka_unit_test(test_golden_bars),
        cmocka_unit_test(test_golden_hist_heatmap_table),
        cmocka_unit_test(test_golden_images_history),
        cmocka_unit_test(test_box_property),
        cmocka_unit_test(test_point_lands_in_cell),
        cmocka_unit_test(test_colors_and_markers),
        cmocka_unit_test(test_ticks_and_numbers),
        cmocka_unit_test(test_progress_lines),
        cmocka_unit_test(test_svg),
        cmocka_unit_test(test_bad_input),
        cmocka_unit_test(test_random_inputs),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
