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

static snn_module *make_cell(int attention, bool bidirectional, int64_t hidden, int64_t layers, int cell) {
    snn_seq2seq_config c = {sizeof c, 9, 8, 5, hidden, layers, bidirectional, attention, 0, 1, 2, cell};
    snn_module *m = NULL;
    CHECK_OK(snn_seq2seq_new(&m, &c));
    return m;
}

static snn_module *make(int attention, bool bidirectional, int64_t hidden) {
    snn_seq2seq_config c = {sizeof c, 9, 8, 5, hidden, 1, bidirectional, attention, 0, 1, 2, SNN_SEQ2SEQ_CELL_LSTM};
    snn_module *m = NULL;
    CHECK_OK(snn_seq2seq_new(&m, &c));
    return m;
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
    snn_adam_options ao = {.struct_size = sizeof ao, .lr = 0.03, .beta1 = 0.9, .beta2 = 0.999, .eps = 1e-8};
    CHECK_OK(snn_optimizer_adam(&opt, params, np, &ao));
    double hist[64];
    size_t nh = 0;
    snn_fit_options fo = {sizeof fo, 20, 1, on_progress, NULL, NULL, hist, 64, &nh};
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
    snn_seq2seq_config bad = {sizeof bad, 9, 8, 5, 4, 1, false, 7, 0, 1, 2, SNN_SEQ2SEQ_CELL_LSTM};
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
    snn_seq2seq_config c = {sizeof c, 6, 70000, 2, 2, 1, false, SNN_SEQ2SEQ_ATTENTION_NONE, 0, 1, 2, SNN_SEQ2SEQ_CELL_LSTM};
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

/* A caller built against the header before `cell` was appended passes a struct_size that ends
 * at eos_idx: accepted as an LSTM (4 * hidden rows). A bad cell value is refused. */
static void old_config_size(void) {
    snn_seq2seq_config c = {sizeof c, 9, 8, 5, 4, 1, false, SNN_SEQ2SEQ_ATTENTION_NONE, 0, 1, 2, SNN_SEQ2SEQ_CELL_GRU};
    snn_module *m = NULL;
    c.struct_size = offsetof(snn_seq2seq_config, cell);
    CHECK_OK(snn_seq2seq_new(&m, &c));
    snn_tensor_map *params = NULL;
    snn_tensor *w = NULL;
    int64_t shape[2] = {0, 0};
    CHECK_OK(snn_module_named_parameters(&params, m));
    CHECK_OK(snn_tensor_map_get(&w, params, "encoder.weight_ih_l0"));
    CHECK_OK(snn_tensor_shape(shape, 2, w));
    CHECK(shape[0] == 16 && shape[1] == 5, "old-size config: encoder.weight_ih_l0 is [%lld, %lld], want the LSTM's [16, 5]",
          (long long)shape[0], (long long)shape[1]);
    snn_tensor_free(w);
    snn_tensor_map_free(params);
    snn_module_free(m);
    snn_module *none = NULL;
    c.struct_size = sizeof c;
    c.cell = 2;
    EXPECT_STATUS(SNN_ERR_INVALID_ARGUMENT, snn_seq2seq_new(&none, &c));
    CHECK(none == NULL, "a refused cell wrote a handle");
}

int main(void) {
    /* Parameters: 2 embeddings + 4 per encoder layer and direction + 4 per decoder layer + attn
     * + 2 attn_combine + 2 out: 2 + 8 + 4 + 5 = 19 (1 layer), 2 + 16 + 8 + 5 = 31 (2 layers). */
    golden_case("attn", make(SNN_SEQ2SEQ_ATTENTION_GENERAL, true, 4), 19);
    golden_case("gru", make_cell(SNN_SEQ2SEQ_ATTENTION_GENERAL, true, 3, 2, SNN_SEQ2SEQ_CELL_GRU), 31);
    old_config_size();
    memory_cap();
    CHECK(live_handles() == 0, "%lld live handles after the golden case", (long long)live_handles());
    fit_and_checkpoint();
    CHECK(live_handles() == 0, "%lld live handles", (long long)live_handles());
    return report("test_seq2seq");
}
