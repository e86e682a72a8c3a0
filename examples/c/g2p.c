/* Grapheme-to-phoneme with the seq2seq C API: loads the checkpoint examples/python/g2p.py
 * trained on CMUdict (weights, architecture and both vocabularies in one safetensors file)
 * and prints ARPAbet pronunciations (stress stripped) for the words on the command line.
 *
 *   ./build/examples/g2p [--model build/g2p.safetensors] [--beam 5] [--greedy] word ...
 *   ./build/examples/g2p --smoke   (trains a tiny model on a few words, saves, reloads, converts)
 *
 * Exits non-zero on any error. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <swiftnn.h>

#define TRY(call) do { snn_status s_ = (call); if (s_ != SNN_OK) { \
    fprintf(stderr, "g2p: %s failed: %s: %s\n", #call, snn_status_string(s_), snn_last_error()); exit(1); } } while (0)

#define MAX_TOKENS 256

typedef struct { char *text; const char *tok[MAX_TOKENS]; size_t n; } vocab;

static void read_vocab(vocab *v, snn_module *m, bool target) {
    size_t len = 0;
    char probe[1];
    snn_seq2seq_tokens(probe, 1, &len, m, target);  /* learns the length */
    v->text = malloc(len + 1);
    TRY(snn_seq2seq_tokens(v->text, len + 1, &len, m, target));
    v->n = 0;
    if (len == 0) { fprintf(stderr, "g2p: the checkpoint has no %s vocabulary\n", target ? "target" : "source"); exit(1); }
    for (char *s = v->text; s && v->n < MAX_TOKENS; ) {
        v->tok[v->n++] = s;
        char *nl = strchr(s, '\n');
        if (nl) *nl++ = 0;
        s = nl;
    }
}

static int64_t lookup(const vocab *v, char ch) {
    for (size_t i = 3; i < v->n; i++)
        if (v->tok[i][0] == ch && v->tok[i][1] == 0) return (int64_t)i;
    return -1;
}

/* Converts each word (lower-cased; unknown letters skipped) and prints "word  PH PH ...". */
static void convert(snn_module *m, char **words, int n, int beam) {
    vocab src, tgt;
    read_vocab(&src, m, false);
    read_vocab(&tgt, m, true);
    for (int w = 0; w < n; w++) {
        int64_t ids[64];
        int64_t len = 0;
        for (const char *c = words[w]; *c && len < 64; c++) {
            char lc = (*c >= 'A' && *c <= 'Z') ? (char)(*c - 'A' + 'a') : *c;
            int64_t id = lookup(&src, lc);
            if (id >= 0) ids[len++] = id;
        }
        if (len == 0) { printf("%-16s (no known letters)\n", words[w]); continue; }
        int64_t shape[2] = {1, len};
        snn_tensor *x, *toks;
        TRY(snn_tensor_from_int64(&x, ids, (size_t)len, shape, 2));
        if (beam > 1) TRY(snn_seq2seq_beam(&toks, NULL, m, x, beam, 32, 0.6));
        else TRY(snn_seq2seq_greedy(&toks, NULL, m, x, 32));
        int64_t out[64] = {0}, oshape[2] = {0, 0};
        TRY(snn_tensor_shape(oshape, 2, toks));
        TRY(snn_tensor_copy_int64(out, 64, toks));
        printf("%-16s", words[w]);
        for (int64_t i = 0; i < oshape[1] && i < 64 && out[i] != 0; i++)
            if (out[i] > 0 && (size_t)out[i] < tgt.n) printf(" %s", tgt.tok[out[i]]);
        printf("\n");
        snn_tensor_free(x);
        snn_tensor_free(toks);
    }
    free(src.text);
    free(tgt.text);
}

/* A tiny model on a few words (letters a-z as ids 3..28, a toy phoneme set), for make test. */
static int smoke(void) {
    const char *letters[29] = {"<pad>", "<s>", "</s>"};
    static char lbuf[26][2];
    for (int i = 0; i < 26; i++) { lbuf[i][0] = (char)('a' + i); lbuf[i][1] = 0; letters[3 + i] = lbuf[i]; }
    const char *phones[8] = {"<pad>", "<s>", "</s>", "K", "AE", "T", "D", "AA"};
    /* cat -> K AE T, dog... toy: cad -> K AE D, tad -> T AE D, cot -> K AA T */
    int64_t src[4][3] = {{3 + 2, 3 + 0, 3 + 19}, {3 + 2, 3 + 0, 3 + 3}, {3 + 19, 3 + 0, 3 + 3}, {3 + 2, 3 + 14, 3 + 19}};
    int64_t tgt[4][3] = {{3, 4, 5}, {3, 4, 6}, {5, 4, 6}, {3, 7, 5}};
    snn_seq2seq_options c;   /* pad 0, bos 1, eos 2, one LSTM layer */
    TRY(snn_seq2seq_options_init(&c));
    c.src_vocab = 29;
    c.tgt_vocab = 8;
    c.embed_dim = 8;
    c.hidden_size = 16;
    c.bidirectional = true;
    c.attention = SNN_SEQ2SEQ_ATTENTION_GENERAL;
    snn_module *m;
    TRY(snn_seq2seq_new(&m, &c));
    TRY(snn_seq2seq_set_tokens(m, false, letters, 29));
    TRY(snn_seq2seq_set_tokens(m, true, phones, 8));
    snn_tensor_map *pm;
    TRY(snn_module_named_parameters(&pm, m));
    size_t np = 0;
    TRY(snn_tensor_map_count(&np, pm));
    snn_tensor *params[32];
    for (size_t i = 0; i < np && i < 32; i++) {
        char name[128]; size_t len;
        TRY(snn_tensor_map_name(name, sizeof name, &len, pm, i));
        TRY(snn_tensor_map_get(&params[i], pm, name));
    }
    snn_adam_options ao;
    TRY(snn_adam_options_init(&ao));
    ao.lr = 0.03;
    snn_optimizer *opt;
    TRY(snn_optimizer_adam(&opt, params, np, &ao));
    int64_t shape[2] = {4, 3};
    snn_tensor *x, *y;
    TRY(snn_tensor_from_int64(&x, &src[0][0], 12, shape, 2));
    TRY(snn_tensor_from_int64(&y, &tgt[0][0], 12, shape, 2));
    double first = 0, last = 0;
    for (int step = 0; step < 60; step++) {
        double l;
        TRY(snn_seq2seq_train_step(&l, m, opt, x, y, 5.0));
        if (step == 0) first = l;
        last = l;
    }
    printf("g2p --smoke: loss %.3f -> %.3f after 60 steps\n", first, last);
    const char *path = "build/g2p_c_smoke.safetensors";
    TRY(snn_module_save(m, path));
    snn_module *m2;
    TRY(snn_module_load(&m2, path));
    char *words[] = {"cat", "cad", "tad", "cot"};
    convert(m2, words, 4, 3);
    for (size_t i = 0; i < np && i < 32; i++) snn_tensor_free(params[i]);
    snn_tensor_free(x); snn_tensor_free(y);
    snn_tensor_map_free(pm);
    snn_optimizer_free(opt);
    snn_module_free(m);
    snn_module_free(m2);
    if (!(last < 0.5 * first)) { fprintf(stderr, "g2p --smoke: the loss did not fall\n"); return 1; }
    return 0;
}

int main(int argc, char **argv) {
    const char *model = "build/g2p.safetensors";
    int beam = 5, first = argc;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--smoke") == 0) return smoke();
        else if (strcmp(argv[i], "--model") == 0 && i + 1 < argc) model = argv[++i];
        else if (strcmp(argv[i], "--beam") == 0 && i + 1 < argc) beam = atoi(argv[++i]);
        else if (strcmp(argv[i], "--greedy") == 0) beam = 1;
        else { first = i; break; }
    }
    if (first >= argc) {
        fprintf(stderr, "usage: g2p [--model build/g2p.safetensors] [--beam 5] [--greedy] word ...\n"
                        "       (train the model with: python3 examples/python/g2p.py)\n");
        return 2;
    }
    snn_module *m;
    TRY(snn_module_load(&m, model));
    convert(m, argv + first, argc - first, beam);
    snn_module_free(m);
    return 0;
}
