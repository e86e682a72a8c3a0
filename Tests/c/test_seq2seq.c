/* The seq2seq C API (swiftnn/seq2seq.h) as a C program uses it: PyTorch's loss and every
 * parameter gradient for the same weights (Tests/golden/seq2seq_attn.safetensors and
 * seq2seq_gru.safetensors from tools/gen_golden_seq2seq.py: bidirectional LSTM or 2-layer GRU
 * encoder, general attention, padded batch), greedy decodes, beam width 1 equal to greedy,
 * the config as callers built against the header before `cell` was appended pass it, a short fit with progress, checkpoints with
 * vocabularies, bad arguments failing with a status (never crashing), and a beam above the
 * decoder memory cap refused with a status. */
#include "harness.h"
#include <math.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define EXPECT_STATUS(want, call) do { snn_status st_ = (call); CHECK(st_ == (want), "%s -> %s (wanted %s): %s", #call, \
    snn_status_string(st_), snn_status_string(want), snn_last_error()); } while (0)

/* snn_seq2seq_options_init's defaults with this file's vocabularies (9 source, 8 target
 * tokens), embedding 5 and the given hidden size. */
static snn_seq2seq_options options(int64_t hidden) {
    snn_seq2seq_options c;
    CHECK_OK(snn_seq2seq_options_init(&c));
    c.src_vocab = 9;
    c.tgt_vocab = 8;
    c.embed_dim = 5;
    c.hidden_size = hidden;
    return c;
}

static snn_module *make_cell(int attention, bool bidirectional, int64_t hidden, int64_t layers, int cell) {
    snn_seq2seq_options c = options(hidden);
    c.num_layers = layers;
    c.bidirectional = bidirectional;
    c.attention = attention;
    c.cell = cell;
    snn_module *m = NULL;
    CHECK_OK(snn_seq2seq_new(&m, &c));
    return m;
}

static snn_module *make(int attention, bool bidirectional, int64_t hidden) {
    return make_cell(attention, bidirectional, hidden, 1, SNN_SEQ2SEQ_CELL_LSTM);
}

static int progress_calls;
static bool on_progress(const snn_progress *p, void *user) {
    (void)user;
    progress_calls++;
    return p->struct_size >= sizeof *p;
}

/* name: the golden case; m: a model of its configuration; n_params: its parameter count. */
static void golden_case(const char *name, snn_module *m, size_t n_params) {
    char path[512];
    snprintf(path, sizeof path, "%s/seq2seq_%s.safetensors", golden_dir(), name);
    gt_file g;
    if (gt_load(&g, path) != 0) { CHECK(0, "cannot load %s", path); snn_module_free(m); return; }
    snn_tensor_map *golden = NULL;
    CHECK_OK(snn_tensor_map_load(&golden, path));
    CHECK_OK(snn_module_load_state_dict(m, golden, false));
    snn_tensor *src = from_golden(gt_find(&g, "src")), *tgt = from_golden(gt_find(&g, "tgt"));
    snn_tensor *loss = NULL;
    CHECK_OK(snn_seq2seq_loss(&loss, m, src, tgt));
    const char *err = compare(loss, gt_find(&g, "loss")) ;
    /* loss is a scalar, golden [1]: compare values */
    float lv = 0;
    CHECK_OK(snn_tensor_copy_data(&lv, 1, loss));
    CHECK(fabsf(lv - ((float *)gt_find(&g, "loss")->data)[0]) < 1e-5f, "loss %g vs %g (%s)", lv,
          ((float *)gt_find(&g, "loss")->data)[0], err ? err : "");
    CHECK_OK(snn_tensor_backward(loss, NULL, false));
    snn_tensor_map *params = NULL;
    CHECK_OK(snn_module_named_parameters(&params, m));
    size_t n = 0;
    CHECK_OK(snn_tensor_map_count(&n, params));
    CHECK(n == n_params, "%s: %zu parameters", name, n);
    for (size_t i = 0; i < n; i++) {
        char name[128], gname[160];
        size_t len = 0;
        CHECK_OK(snn_tensor_map_name(name, sizeof name, &len, params, i));
        snn_tensor *p = NULL, *gr = NULL;
        CHECK_OK(snn_tensor_map_get(&p, params, name));
        CHECK_OK(snn_tensor_grad(&gr, p));
        snprintf(gname, sizeof gname, "grad.%s", name);
        const gt_tensor *want = gt_find(&g, gname);
        CHECK(want != NULL, "%s: no golden %s", name, gname);
        if (want && gr) { const char *e = compare(gr, want); CHECK(e == NULL, "%s: %s: %s", name, gname, e); }
        snn_tensor_free(p);
        snn_tensor_free(gr);
    }
    snn_tensor *toks = NULL, *lps = NULL, *btoks = NULL, *blps = NULL, *score = NULL;
    CHECK_OK(snn_seq2seq_greedy(&toks, &lps, m, src, 6));
    const char *e = compare(toks, gt_find(&g, "greedy"));
    int64_t shp[2] = {0, 0};
    snn_tensor_shape(shp, 2, toks);
    CHECK(e == NULL || shp[1] < 6, "%s: greedy: %s", name, e ? e : "");
    CHECK_OK(snn_seq2seq_beam(&btoks, &blps, m, src, 1, 6, 0.0));
    CHECK(compare(btoks, gt_find(&g, "greedy")) == NULL || shp[1] < 6, "%s: beam 1 differs from greedy", name);
    float a[3], b[3];
    snn_tensor_copy_data(a, 3, lps);
    snn_tensor_copy_data(b, 3, blps);
    CHECK(fabsf(a[0] - b[0]) < 1e-5f && fabsf(a[2] - b[2]) < 1e-5f, "%s: beam 1 log-probs differ from greedy", name);
    CHECK_OK(snn_seq2seq_score(&score, m, src, tgt, true));
    e = compare(score, gt_find(&g, "score"));
    CHECK(e == NULL, "%s: score: %s", name, e);
    for (snn_tensor **t = (snn_tensor *[]){toks, lps, btoks, blps, score, loss, src, tgt}, **end = t + 8; t < end; t++)
        snn_tensor_free(*t);
    snn_tensor_map_free(params);
    snn_tensor_map_free(golden);
    snn_module_free(m);
    gt_free(&g);
}

static void fit_and_checkpoint(void) {
    snn_module *m = make(SNN_SEQ2SEQ_ATTENTION_DOT, false, 8);
    int64_t sv[] = {3, 4, 5, 6, 0, 0, 5, 0, 0, 7, 8, 3, 4, 4, 0, 6, 6, 6};
    int64_t shape[2] = {6, 3};
    snn_tensor *src = NULL, *tgt = NULL;
    CHECK_OK(snn_tensor_from_int64(&src, sv, 18, shape, 2));
    int64_t tv[] = {3, 4, 5, 6, 0, 0, 5, 0, 0, 7, 7, 3, 4, 4, 0, 6, 6, 6};
    CHECK_OK(snn_tensor_from_int64(&tgt, tv, 18, shape, 2));
    snn_tensor_map *pm = NULL;
    CHECK_OK(snn_module_named_parameters(&pm, m));
    snn_tensor *params[32];
    size_t np = 0;
    snn_tensor_map_count(&np, pm);
    for (size_t i = 0; i < np && i < 32; i++) {
        char name[128]; size_t len;
        snn_tensor_map_name(name, sizeof name, &len, pm, i);
        snn_tensor_map_get(&params[i], pm, name);
    }
    snn_optimizer *opt = NULL;
    snn_adam_options ao;
    CHECK_OK(snn_adam_options_init(&ao));
    ao.lr = 0.03;
    CHECK_OK(snn_optimizer_adam(&opt, params, np, &ao));
    double hist[64];
    size_t nh = 0;
    snn_fit_options fo;
    CHECK_OK(snn_fit_options_init(&fo));
    fo.epochs = 20;
    fo.report_every = 1;
    fo.progress = on_progress;
    fo.loss_history = hist;
    fo.loss_history_capacity = 64;
    fo.loss_history_count = &nh;
    CHECK_OK(snn_seq2seq_fit(m, opt, src, tgt, 3, 7, 5.0, &fo));
    CHECK(nh == 40 && progress_calls == 40, "%zu steps, %d progress calls", nh, progress_calls);
    CHECK(hist[39] + hist[38] < 0.5 * (hist[0] + hist[1]), "loss %g -> %g", hist[0], hist[39]);
    double l = 0;
    CHECK_OK(snn_seq2seq_train_step(&l, m, opt, src, tgt, 0.0));
    const char *toks[8] = {"<pad>", "<s>", "</s>", "a", "b", "c", "d", "e"};
    CHECK_OK(snn_seq2seq_set_tokens(m, true, toks, 8));
    char path[] = "/tmp/snn_seq2seq_XXXXXX";
    int fd = mkstemp(path);
    if (fd >= 0) close(fd);
    CHECK_OK(snn_module_save(m, path));
    snn_module *m2 = NULL;
    CHECK_OK(snn_module_load(&m2, path));
    unlink(path);
    char buf[256]; size_t len = 0;
    CHECK_OK(snn_seq2seq_tokens(buf, sizeof buf, &len, m2, true));
    CHECK(strcmp(buf, "<pad>\n<s>\n</s>\na\nb\nc\nd\ne") == 0, "tokens '%s'", buf);
    snn_tensor *a = NULL, *b = NULL;
    CHECK_OK(snn_seq2seq_beam(&a, NULL, m, src, 3, 8, 0.6));
    CHECK_OK(snn_seq2seq_beam(&b, NULL, m2, src, 3, 8, 0.6));
    int64_t av[64] = {0}, bv[64] = {0};
    snn_tensor_copy_int64(av, 64, a);
    snn_tensor_copy_int64(bv, 64, b);
    CHECK(memcmp(av, bv, sizeof av) == 0, "reloaded model decodes differently");

    /* bad arguments: a status, never a crash */
    snn_tensor *out = NULL;
    EXPECT_STATUS(SNN_ERR_INVALID_ARGUMENT, snn_seq2seq_greedy(NULL, NULL, m, src, 5));
    EXPECT_STATUS(SNN_ERR_INVALID_ARGUMENT, snn_seq2seq_greedy(&out, NULL, NULL, src, 5));
    EXPECT_STATUS(SNN_ERR_INVALID_ARGUMENT, snn_seq2seq_greedy(&out, NULL, m, src, 0));
    EXPECT_STATUS(SNN_ERR_INVALID_ARGUMENT, snn_seq2seq_beam(&out, NULL, m, src, 0, 5, 0));
    EXPECT_STATUS(SNN_ERR_INVALID_ARGUMENT, snn_seq2seq_beam(&out, NULL, m, src, 2, 5, -1));
    CHECK(snn_seq2seq_greedy(&out, NULL, m, params[0], 5) != SNN_OK, "float src accepted");
    CHECK(snn_seq2seq_loss(&out, m, src, NULL) != SNN_OK, "NULL tgt accepted");
    CHECK(snn_seq2seq_score(&out, m, src, params[1], true) != SNN_OK, "float tgt accepted");
    EXPECT_STATUS(SNN_ERR_INVALID_ARGUMENT, snn_seq2seq_set_tokens(m, false, toks, 3));
    snn_module *lin = NULL;
    CHECK_OK(snn_module_linear(&lin, 2, 2, true));
    EXPECT_STATUS(SNN_ERR_INVALID_ARGUMENT, snn_seq2seq_greedy(&out, NULL, lin, src, 5));
    snn_module_free(lin);
    snn_module *none = NULL;
    snn_seq2seq_options bad = options(4);
    bad.attention = 7;
    EXPECT_STATUS(SNN_ERR_INVALID_ARGUMENT, snn_seq2seq_new(&none, &bad));
    bad.attention = 0; bad.struct_size = 8;
    EXPECT_STATUS(SNN_ERR_INVALID_ARGUMENT, snn_seq2seq_new(&none, &bad));
    bad.struct_size = sizeof bad; bad.eos_idx = 1;
    EXPECT_STATUS(SNN_ERR_OUT_OF_RANGE, snn_seq2seq_new(&none, &bad));
    bad.eos_idx = 2; bad.hidden_size = -1;
    EXPECT_STATUS(SNN_ERR_INVALID_ARGUMENT, snn_seq2seq_new(&none, &bad));
    CHECK(none == NULL, "a failed snn_seq2seq_new wrote a handle");
    for (size_t i = 0; i < np && i < 32; i++) snn_tensor_free(params[i]);
    snn_tensor_free(a); snn_tensor_free(b); snn_tensor_free(src); snn_tensor_free(tgt);
    snn_tensor_map_free(pm);
    snn_optimizer_free(opt);
    snn_module_free(m);
    snn_module_free(m2);
}

/* A beam whose decoder buffers pass SNN_SEQ2SEQ_DECODER_MEMORY_LIMIT is refused with a
 * status before anything is allocated: 4096 x 70000 log-probabilities are 1.07 GiB. */
static void memory_cap(void) {
    snn_seq2seq_options c;
    CHECK_OK(snn_seq2seq_options_init(&c));
    c.src_vocab = 6;
    c.tgt_vocab = 70000;
    c.embed_dim = 2;
    c.hidden_size = 2;
    snn_module *m = NULL;
    CHECK_OK(snn_seq2seq_new(&m, &c));
    int64_t sv[] = {3, 4}, shape[2] = {1, 2};
    snn_tensor *src = NULL, *out = NULL;
    CHECK_OK(snn_tensor_from_int64(&src, sv, 2, shape, 2));
    EXPECT_STATUS(SNN_ERR_INVALID_ARGUMENT, snn_seq2seq_beam(&out, NULL, m, src, 4096, 5, 0.0));
    CHECK(strstr(snn_last_error(), "limit 1024 MiB") != NULL, "message: %s", snn_last_error());
    CHECK(out == NULL, "a refused beam wrote a handle");
    CHECK_OK(snn_seq2seq_beam(&out, NULL, m, src, 16, 2, 0.0));
    snn_tensor_free(out);
    snn_tensor_free(src);
    snn_module_free(m);
}

/* snn_seq2seq_options_init's defaults, and the one struct_size accepted: sizeof. A struct that
 * ends before `cell` (no such header ever shipped) is refused, as are a bad cell value and
 * num_layers 0 (a real value now, not "the default"). */
static void options_contract(void) {
    snn_seq2seq_options c;
    EXPECT_STATUS(SNN_ERR_INVALID_ARGUMENT, snn_seq2seq_options_init(NULL));
    CHECK_OK(snn_seq2seq_options_init(&c));
    CHECK(c.struct_size == sizeof c && c.num_layers == 1 && !c.bidirectional && c.attention == SNN_SEQ2SEQ_ATTENTION_NONE &&
          c.pad_idx == 0 && c.bos_idx == 1 && c.eos_idx == 2 && c.cell == SNN_SEQ2SEQ_CELL_LSTM, "snn_seq2seq_options_init defaults");
    snn_module *none = NULL;
    c = options(4);
    c.struct_size = offsetof(snn_seq2seq_options, cell);
    EXPECT_STATUS(SNN_ERR_INVALID_ARGUMENT, snn_seq2seq_new(&none, &c));
    CHECK(strstr(snn_last_error(), "struct_size") != NULL, "message: %s", snn_last_error());
    c = options(4);
    c.cell = 2;
    EXPECT_STATUS(SNN_ERR_INVALID_ARGUMENT, snn_seq2seq_new(&none, &c));
    c = options(4);
    c.num_layers = 0;
    EXPECT_STATUS(SNN_ERR_INVALID_ARGUMENT, snn_seq2seq_new(&none, &c));
    CHECK(none == NULL, "a refused snn_seq2seq_new wrote a handle");
}

int main(void) {
    /* Parameters: 2 embeddings + 4 per encoder layer and direction + 4 per decoder layer + attn
     * + 2 attn_combine + 2 out: 2 + 8 + 4 + 5 = 19 (1 layer), 2 + 16 + 8 + 5 = 31 (2 layers). */
    golden_case("attn", make(SNN_SEQ2SEQ_ATTENTION_GENERAL, true, 4), 19);
    golden_case("gru", make_cell(SNN_SEQ2SEQ_ATTENTION_GENERAL, true, 3, 2, SNN_SEQ2SEQ_CELL_GRU), 31);
    options_contract();
    memory_cap();
    CHECK(live_handles() == 0, "%lld live handles after the golden case", (long long)live_handles());
    fit_and_checkpoint();
    CHECK(live_handles() == 0, "%lld live handles", (long long)live_handles());
    return report("test_seq2seq");
}
