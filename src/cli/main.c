/* mnistlab: the command line.
 *
 *   mnistlab [--dataset NAME] [--ascii] [NOTEBOOK.md]   the lab (or a notebook) in the terminal;
 *                                                      headless, as run, when there is none to draw on
 *   mnistlab run [options] NOTEBOOK.md                 run every cell headless
 *   mnistlab SCRIPT.lua ARGS                           run a Lua script with the module loaded
 *   mnistlab -i                                        a Lua prompt with the module loaded
 *   mnistlab info FILE                                 type and shape of an IDX file
 *   mnistlab --version | --help */
#include <langinfo.h>
#include <locale.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "core/error.h"
#include "data/dataset.h"
#include "data/idx.h"
#include "ml_config.h"
#include "tui/tui.h"

static void usage(FILE *f)
{
    fprintf(f,
            "usage: mnistlab [options] [NOTEBOOK.md]     open the lab (or a notebook) in the terminal\n"
            "       mnistlab run [options] NOTEBOOK.md   run every cell, print prose and outputs\n"
            "       mnistlab [options] SCRIPT.lua [ARGS...]\n"
            "       mnistlab -i                          a Lua prompt with the module loaded as `ml`\n"
            "       mnistlab info FILE...                an IDX file's type and shape (exit 1 if malformed)\n"
            "\n"
            "options:\n"
            "  --dataset NAME   data for the lab: digits (the bundled 10,000, default), mnist (all\n"
            "                   70,000 after scripts/fetch-mnist), fashion, or a folder of IDX files;\n"
            "                   the same as MNISTLAB_DATASET=NAME\n"
            "  --ascii          plain ASCII pictures and frames (automatic when the locale is not UTF-8)\n"
            "  --no-color       no colours (also NO_COLOR=1)\n"
            "  -h, --help       this text\n"
            "  --version        print the version\n"
            "run options:\n"
            "  --out FILE       also write the report: the notebook with every output below its cell\n"
            "  --in-place       write the outputs back into the notebook\n"
            "  --stop-on-error  stop at the first failing cell (later cells keep their old output)\n"
            "  --width N        width of pictures in cells (default 80)\n"
            "  --times          print on stderr the seconds each cell took, each ## section and\n"
            "                   the whole notebook\n"
            "\n"
            "Without a terminal to draw on (TERM=dumb, unset or unknown, or standard input or output\n"
            "not a terminal), mnistlab NOTEBOOK.md runs the notebook headless as run does.\n"
            "Exit status of run: 0 if every cell ran, 1 if a cell failed or was interrupted, 2 for\n"
            "bad usage or a notebook that cannot be read or written.  See mnistlab(1).\n");
}

static int cmd_info(int argc, char **argv)
{
    if (argc < 1) {
        fprintf(stderr, "mnistlab info: expected a file name\n");
        return 2;
    }
    int rc = 0;
    for (int i = 0; i < argc; i++) {
        ml_idx idx;
        if (ml_idx_read(argv[i], &idx)) {
            fprintf(stderr, "mnistlab: %s\n", ml_last_error());
            rc = 1;
            continue;
        }
        printf("%s: IDX%s, %s, %d dimension%s, shape (", argv[i], idx.gzipped ? " (gzip)" : "",
               ml_idx_type_name(idx.type), idx.ndim, idx.ndim == 1 ? "" : "s");
        for (int d = 0; d < idx.ndim; d++) printf("%s%u", d ? ", " : "", idx.dims[d]);
        printf("%s), %zu bytes of data\n", idx.ndim == 1 ? "," : "", idx.nbytes);
        ml_idx_free(&idx);
    }
    return rc;
}

static int ends_with(const char *s, const char *suffix)
{
    size_t n = strlen(s), m = strlen(suffix);
    return n >= m && strcmp(s + n - m, suffix) == 0;
}

static int locale_is_utf8(void)
{
    const char *cs = nl_langinfo(CODESET);
    return cs && (strcmp(cs, "UTF-8") == 0 || strcmp(cs, "utf8") == 0);
}

int main(int argc, char **argv)
{
    setlocale(LC_ALL, "");
    setlocale(LC_NUMERIC, "C"); /* Lua and our reports print numbers with '.' */
    cli_opts o;
    memset(&o, 0, sizeof o);
    o.ascii = !locale_is_utf8();
    const char *nc = getenv("NO_COLOR");
    o.color = !(nc && *nc);
    const char *term = getenv("TERM");
    if (term && strcmp(term, "dumb") == 0) o.color = 0;

    const char *cmd = NULL, *file = NULL;
    int interactive = 0, i = 1;
    if (argc >= 2 && strcmp(argv[1], "info") == 0) return cmd_info(argc - 2, argv + 2);
    if (argc >= 2 && strcmp(argv[1], "run") == 0) {
        cmd = "run";
        i = 2;
    }
    for (; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
            usage(stdout);
            return 0;
        } else if (strcmp(a, "--version") == 0) {
            printf("mnistlab %s\n", ML_VERSION);
            return 0;
        } else if (strcmp(a, "--ascii") == 0) {
            o.ascii = 1;
        } else if (strcmp(a, "--no-color") == 0) {
            o.color = 0;
        } else if (strcmp(a, "-i") == 0 || strcmp(a, "--interactive") == 0) {
            interactive = 1;
        } else if (strcmp(a, "--dataset") == 0 || strncmp(a, "--dataset=", 10) == 0) {
            const char *v = a[9] == '=' ? a + 10 : (i + 1 < argc ? argv[++i] : NULL);
            if (!v || !*v) {
                fprintf(stderr, "mnistlab: --dataset needs a name (digits, mnist, fashion or a folder)\n");
                return 2;
            }
            setenv("MNISTLAB_DATASET", v, 1);
        } else if (cmd && (strcmp(a, "--out") == 0 || strcmp(a, "-o") == 0)) {
            if (i + 1 >= argc) {
                fprintf(stderr, "mnistlab run: --out needs a file name\n");
                return 2;
            }
            o.out = argv[++i];
        } else if (cmd && strncmp(a, "--out=", 6) == 0) {
            o.out = a + 6;
        } else if (cmd && strcmp(a, "--in-place") == 0) {
            o.in_place = 1;
        } else if (cmd && strcmp(a, "--stop-on-error") == 0) {
            o.stop_on_error = 1;
        } else if (cmd && strcmp(a, "--times") == 0) {
            o.times = 1;
        } else if (strcmp(a, "--width") == 0 && i + 1 < argc) {
            char *end;
            long w = strtol(argv[++i], &end, 10);
            if (*end || w < 20 || w > 1000) {
                fprintf(stderr, "mnistlab: --width must be a number of cells from 20 to 1000, got '%s'\n", argv[i]);
                return 2;
            }
            o.width = (int)w;
        } else if (!cmd && !file && strcmp(a, "run") == 0) {
            cmd = "run"; /* options may come before the command */
        } else if (a[0] == '-' && a[1]) {
            fprintf(stderr, "mnistlab: unknown option '%s' (see mnistlab --help)\n", a);
            return 2;
        } else {
            if (!cmd && ends_with(a, ".lua")) return cli_run_script(a, argc - i - 1, argv + i + 1, &o);
            if (file) {
                fprintf(stderr, "mnistlab: one notebook at a time (got '%s' and '%s')\n", file, a);
                return 2;
            }
            file = a; /* options may also follow the notebook */
        }
    }
    if (interactive) return cli_repl(&o);
    if (cmd) {
        if (!file) {
            fprintf(stderr, "mnistlab run: expected a notebook (NOTEBOOK.md)\n");
            return 2;
        }
        return cli_run_notebook(file, &o);
    }
    char lab[ML_PATH_MAX];
    int builtin = !file;
    if (!file) {
        if (ml_share_path("notebooks/mnist-lab.md", lab, sizeof lab)) {
            fprintf(stderr, "mnistlab: the built-in lab is missing: %s\n", ml_last_error());
            return 1;
        }
        file = lab;
    }
    /* No terminal to draw on (TERM=dumb, unset or unknown; input or output
     * not a terminal): run the notebook headless, as `mnistlab run` does. */
    const char *advice, *why = tui_unavailable(&advice);
    if (why) {
        if (isatty(STDIN_FILENO) && isatty(STDOUT_FILENO)) o.color = 0; /* TERM is unknown: no escape codes */
        fprintf(stderr, "mnistlab: %s, so %s runs headless as with 'mnistlab run' (for the notebook view, %s; "
                        "for a report: mnistlab run %s --out report.md)\n", why, file, advice, file);
        return cli_run_notebook(file, &o);
    }
    tui_opts t = {.ascii = o.ascii, .color = o.color, .builtin = builtin};
    return tui_main(file, &t);
}
