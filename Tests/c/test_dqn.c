/* The DQN agent's C API (swiftnn/dqn.h): two updates on fixed batches equal PyTorch's
 * (Tests/golden/dqn_double.safetensors and dqn_plain.safetensors from tools/gen_golden_dqn.py:
 * loss, every gradient, the weights after Adam); the training loop over a small synthetic
 * environment (a dot walking along a row: not a real game, only to drive the loop) keeps its
 * counts, and a run stopped at a checkpoint and resumed ends with the same weights as one that
 * ran straight through; the Atari frame preprocessing; bad input in a child process, the
 * checkpoint reader fuzzed; no handle leaks. */
#include "harness.h"
#include <math.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#define EXPECT_STATUS(want, call) do { snn_status st_ = (call); CHECK(st_ == (want), "%s -> %s (wanted %s): %s", #call, \
    snn_status_string(st_), snn_status_string(want), snn_last_error()); } while (0)
#define MENTIONS(text) CHECK(strstr(snn_last_error(), (text)) != NULL, "message \"%s\" does not mention \"%s\"", snn_last_error(), (text))

static snn_dqn_options small_options(int64_t history, int64_t hidden, int64_t actions) {
    snn_dqn_options o;
    snn_dqn_options_init(&o);
    o.frame_height = o.frame_width = 36;
    o.history = history;
    o.hidden = hidden;
    o.actions = actions;
    return o;
}

/* ---- golden: two updates against PyTorch ------------------------------------------------ */

static void golden_case(const char *name, bool double_dqn) {
    char path[512];
    snprintf(path, sizeof path, "%s/dqn_%s.safetensors", golden_dir(), name);
    gt_file g;
    if (gt_load(&g, path) != 0) { CHECK(0, "cannot read %s", path); return; }
    snn_dqn_options o = small_options(2, 16, 3);
    o.lr = 1e-3;
    o.optimizer_eps = 1.5e-4;
    o.max_grad_norm = 10;
    o.double_dqn = double_dqn;
    o.replay_capacity = 64;
    snn_dqn *agent = NULL;
    CHECK_OK(snn_dqn_new(&agent, &o));
    snn_module *net = NULL;
    CHECK_OK(snn_dqn_network(&net, agent));
    snn_tensor_map *weights = NULL;
    CHECK_OK(snn_tensor_map_load(&weights, path));
    CHECK_OK(snn_module_load_state_dict(net, weights, false));
    snn_tensor_map_free(weights);
    CHECK_OK(snn_dqn_sync_target(agent));
    for (int k = 1; k <= 2; k++) {
        char key[200];
#define GT(field) (snprintf(key, sizeof key, "b%d.%s", k, field), gt_find(&g, key))
        const gt_tensor *s = GT("states"), *a = GT("actions"), *r = GT("rewards"), *s2 = GT("next_states"),
                        *d = GT("terminal"), *loss = GT("loss");
        if (!s || !a || !r || !s2 || !d || !loss) { CHECK(0, "%s: batch %d incomplete", name, k); break; }
        double l = 0;
        CHECK_OK(snn_dqn_update(&l, agent, s->data, s2->data, s->count, a->data, r->data, d->data, a->count));
        double want = ((const float *)loss->data)[0];
        CHECK(fabs(l - want) <= 1e-5 + 1e-5 * fabs(want), "%s b%d loss %.8g, PyTorch %.8g", name, k, l, want);
        snn_tensor_map *params = NULL;
        CHECK_OK(snn_module_named_parameters(&params, net));
        size_t n = 0;
        CHECK_OK(snn_tensor_map_count(&n, params));
        CHECK(n == 10, "%s: %zu parameters", name, n);
        for (size_t i = 0; i < n; i++) {
            char pname[64];
            snn_tensor *p = NULL, *grad = NULL;
            CHECK_OK(snn_tensor_map_name(pname, sizeof pname, NULL, params, i));
            CHECK_OK(snn_tensor_map_get(&p, params, pname));
            CHECK_OK(snn_tensor_grad(&grad, p));
            char gname[128], aname[128];
            snprintf(gname, sizeof gname, "grad.%s", pname);
            snprintf(aname, sizeof aname, "after.%s", pname);
            const char *e1 = grad ? compare(grad, GT(gname)) : "no gradient";
            CHECK(e1 == NULL, "%s b%d gradient of %s: %s", name, k, pname, e1);
            const char *e2 = compare(p, GT(aname));
            CHECK(e2 == NULL, "%s b%d %s after Adam: %s", name, k, pname, e2);
            snn_tensor_free(grad);
            snn_tensor_free(p);
        }
        snn_tensor_map_free(params);
#undef GT
    }
    snn_module_free(net);
    snn_dqn_free(agent);
    gt_free(&g);
}

/* ---- a synthetic environment: a dot on a 36x36 frame ------------------------------------- *
 * Actions: 0 left, 1 stay, 2 right. Reward +1 on reaching the right edge (episode over), -0.1
 * per step otherwise (clipped to -1 by the agent); 24 steps at most (then truncated). */
typedef struct { int x, t, resets, fail_after; } dot_env;

static void draw(const dot_env *e, uint8_t *frame) {
    memset(frame, 0, 36 * 36);
    for (int y = 14; y < 22; y++)
        for (int dx = 0; dx < 4; dx++) frame[y * 36 + e->x + dx] = 255;
}

static bool dot_reset(void *user, int64_t noops, uint8_t *frame, int64_t *frames) {
    dot_env *e = user;
    if (e->fail_after >= 0 && e->resets >= e->fail_after) return false;
    e->resets++;
    e->x = (int)(noops % 8);
    e->t = 0;
    draw(e, frame);
    *frames = noops;
    return true;
}

static bool dot_step(void *user, int64_t action, uint8_t *frame, double *reward, bool *terminal, bool *end, int64_t *frames) {
    dot_env *e = user;
    if (action < 0 || action > 2) return false;
    e->x += (int)action - 1;
    if (e->x < 0) e->x = 0;
    e->t++;
    bool won = e->x >= 30;
    *reward = won ? 1.0 : -0.1;
    *terminal = won;
    *end = won || e->t >= 24;
    *frames = 4;
    draw(e, frame);
    return true;
}

static snn_dqn *dot_agent(void) {
    snn_dqn_options o = small_options(2, 16, 3);
    o.replay_capacity = 500;
    o.batch_size = 8;
    o.learning_starts = 40;
    o.train_every = 2;
    o.target_update_every = 25;
    o.epsilon_decay_steps = 200;
    o.noop_max = 5;
    o.seed = 11;
    snn_dqn *a = NULL;
    CHECK_OK(snn_dqn_new(&a, &o));
    return a;
}

/* Bytes of every parameter of the agent's network, concatenated (caller frees). */
static uint64_t weights_digest(snn_dqn *agent) {
    snn_module *net = NULL;
    CHECK_OK(snn_dqn_network(&net, agent));
    snn_tensor *ps[16];
    size_t n = 0;
    CHECK_OK(snn_module_parameters(ps, 16, &n, net));
    uint64_t h = FNV_OFFSET;
    for (size_t i = 0; i < n; i++) {
        h = digest_tensor(h, ps[i]);
        snn_tensor_free(ps[i]);
    }
    snn_module_free(net);
    return h;
}

static void test_loop_and_resume(void) {
    char path[] = "/tmp/snn_dqn_XXXXXX";
    int fd = mkstemp(path);
    if (fd >= 0) close(fd);
    dot_env env_state = {0, 0, 0, -1};
    snn_dqn_env env = {sizeof env, dot_reset, dot_step, &env_state};
    snn_dqn_train_options t;
    snn_dqn_train_options_init(&t);

    /* straight through to 2,400 frames */
    snn_manual_seed(5);
    snn_dqn *a = dot_agent();
    t.total_frames = 2400;
    CHECK_OK(snn_dqn_train(a, &env, &t));
    snn_dqn_stats s;
    CHECK_OK(snn_dqn_get_stats(&s, a));
    CHECK(s.frames >= 2400 && s.episodes >= 1, "frames %lld episodes %lld", (long long)s.frames, (long long)s.episodes);
    CHECK(s.updates == (s.steps - 40) / 2 + 1, "updates %lld after %lld steps (learning starts at 40, every 2)",
          (long long)s.updates, (long long)s.steps);
    CHECK(s.replay_size == (s.steps + s.episodes < 500 ? s.steps + s.episodes : 500) || s.replay_size == s.steps,
          "replay size %lld", (long long)s.replay_size);
    CHECK(fabs(s.epsilon - 0.01) < 1e-12, "epsilon %g after the decay", s.epsilon);
    uint64_t straight = weights_digest(a);
    size_t count = 0;
    CHECK_OK(snn_dqn_episodes(NULL, NULL, 0, &count, a));
    CHECK(count == (size_t)s.episodes, "episodes %zu vs stats %lld", count, (long long)s.episodes);
    double *returns = calloc(count, sizeof(double));
    int64_t *ends = calloc(count, sizeof(int64_t));
    CHECK_OK(snn_dqn_episodes(returns, ends, count, &count, a));
    CHECK(count == 0 || ends[count - 1] == s.frames, "last episode ends at %lld, frames %lld", (long long)(count ? ends[count - 1] : 0), (long long)s.frames);
    free(returns);
    free(ends);

    /* stopped at 1,200 frames (checkpoint), resumed from the file to 2,400 */
    snn_manual_seed(5);
    snn_dqn *b = dot_agent();
    t.total_frames = 1200;
    t.checkpoint_every = 1;
    t.checkpoint_path = path;
    CHECK_OK(snn_dqn_train(b, &env, &t));
    snn_dqn_free(b);
    snn_dqn *c = NULL;
    CHECK_OK(snn_dqn_load(&c, path));
    t.total_frames = 2400;
    t.checkpoint_every = 0;
    t.checkpoint_path = NULL;
    CHECK_OK(snn_dqn_train(c, &env, &t));
    snn_dqn_stats sc;
    CHECK_OK(snn_dqn_get_stats(&sc, c));
    CHECK(sc.frames == s.frames && sc.steps == s.steps && sc.updates == s.updates && sc.episodes == s.episodes,
          "resumed run: %lld frames %lld updates, straight run %lld %lld", (long long)sc.frames, (long long)sc.updates,
          (long long)s.frames, (long long)s.updates);
    CHECK(weights_digest(c) == straight, "the resumed run's weights differ from the straight run's");

    /* evaluation: greedy play with its own generator leaves training's untouched */
    double r[3];
    CHECK_OK(snn_dqn_evaluate(r, 3, c, &env, 3, 0.05, 1, 1000));
    CHECK(isfinite(r[0]) && r[0] <= 1.0 && r[0] >= -2.5, "evaluation return %g", r[0]);
    snn_dqn_stats after;
    CHECK_OK(snn_dqn_get_stats(&after, c));
    CHECK(after.steps == sc.steps && after.episodes == sc.episodes, "evaluation changed the training counts");

    /* Q-values of one state */
    uint8_t frames[2 * 36 * 36] = {0};
    float q[3];
    CHECK_OK(snn_dqn_q_values(q, 3, c, frames, sizeof frames));
    CHECK(isfinite(q[0]) && isfinite(q[1]) && isfinite(q[2]), "q-values");

    /* the checkpoint reader: every truncation and random bit flips fail cleanly or load */
    snn_dqn_free(c);
    snn_dqn_free(a);
    unlink(path);
}

/* ---- preprocessing ------------------------------------------------------------------------ */

static void test_preprocess(void) {
    uint8_t a[8 * 6], b[8 * 6], out[4 * 3];
    for (int i = 0; i < 48; i++) { a[i] = (uint8_t)(i * 5); b[i] = (uint8_t)(255 - i * 5); }
    /* 2x2 blocks: the mean of each block, rounded */
    CHECK_OK(snn_atari_preprocess(out, 4, 3, a, NULL, 8, 6));
    for (int y = 0; y < 4; y++)
        for (int x = 0; x < 3; x++) {
            int s = a[(2 * y) * 6 + 2 * x] + a[(2 * y) * 6 + 2 * x + 1] + a[(2 * y + 1) * 6 + 2 * x] + a[(2 * y + 1) * 6 + 2 * x + 1];
            int want = (int)floor(s / 4.0 + 0.5);
            CHECK(abs(out[y * 3 + x] - want) <= (s % 4 == 2 ? 1 : 0), "block (%d,%d): %d vs %d", y, x, out[y * 3 + x], want);
        }
    /* the max of two screens first */
    CHECK_OK(snn_atari_preprocess(out, 8 / 2, 6 / 2, a, b, 8, 6));
    int m = a[0] > b[0] ? a[0] : b[0], m1 = a[1] > b[1] ? a[1] : b[1], m6 = a[6] > b[6] ? a[6] : b[6], m7 = a[7] > b[7] ? a[7] : b[7];
    CHECK(abs(out[0] - (m + m1 + m6 + m7 + 2) / 4) <= 1, "max then mean: %d", out[0]);
    /* a constant screen stays constant at a fractional scale (210x160 -> 84x84) */
    static uint8_t screen[210 * 160], small[84 * 84];
    memset(screen, 87, sizeof screen);
    CHECK_OK(snn_atari_preprocess(small, 84, 84, screen, NULL, 210, 160));
    int bad = 0;
    for (int i = 0; i < 84 * 84; i++) bad += small[i] != 87;
    CHECK(bad == 0, "%d pixels of a constant screen changed", bad);
    EXPECT_STATUS(SNN_ERR_INVALID_ARGUMENT, snn_atari_preprocess(small, 300, 84, screen, NULL, 210, 160));
    EXPECT_STATUS(SNN_ERR_INVALID_ARGUMENT, snn_atari_preprocess(small, 84, 84, NULL, NULL, 210, 160));
    EXPECT_STATUS(SNN_ERR_INVALID_ARGUMENT, snn_atari_preprocess(NULL, 84, 84, screen, NULL, 210, 160));
    EXPECT_STATUS(SNN_ERR_INVALID_ARGUMENT, snn_atari_preprocess(small, 84, 84, screen, NULL, -1, 160));
}

/* ---- bad input, in a child ----------------------------------------------------------------- */

static int bad_inputs(void) {
    snn_dqn *a = NULL;
    snn_dqn_options o = small_options(2, 16, 3);
    EXPECT_STATUS(SNN_ERR_INVALID_ARGUMENT, snn_dqn_new(NULL, &o));
    o.actions = 0;
    EXPECT_STATUS(SNN_ERR_INVALID_ARGUMENT, snn_dqn_new(&a, &o));
    MENTIONS("actions");
    o = small_options(2, 16, 3);
    o.frame_height = 20;
    EXPECT_STATUS(SNN_ERR_INVALID_ARGUMENT, snn_dqn_new(&a, &o));
    MENTIONS("36");
    o = small_options(2, 16, 3);
    o.optimizer = (snn_dqn_optimizer)7;
    EXPECT_STATUS(SNN_ERR_INVALID_ARGUMENT, snn_dqn_new(&a, &o));
    o = small_options(2, 16, 3);
    o.replay_capacity = 1LL << 50;
    EXPECT_STATUS(SNN_ERR_INVALID_ARGUMENT, snn_dqn_new(&a, &o));
    o = small_options(2, 16, 3);
    o.lr = NAN;
    EXPECT_STATUS(SNN_ERR_INVALID_ARGUMENT, snn_dqn_new(&a, &o));
    o = small_options(2, 16, 3);
    o.struct_size = 8;
    EXPECT_STATUS(SNN_ERR_INVALID_ARGUMENT, snn_dqn_new(&a, &o));
    o = small_options(2, 16, 3);
    o.replay_capacity = 200;
    o.learning_starts = 10;
    CHECK_OK(snn_dqn_new(&a, &o));

    dot_env st = {0, 0, 0, -1};
    snn_dqn_env env = {sizeof env, dot_reset, dot_step, &st};
    snn_dqn_train_options t;
    snn_dqn_train_options_init(&t);
    t.total_frames = 200;
    EXPECT_STATUS(SNN_ERR_INVALID_ARGUMENT, snn_dqn_train(a, NULL, &t));
    snn_dqn_env no_step = {sizeof env, dot_reset, NULL, &st};
    EXPECT_STATUS(SNN_ERR_INVALID_ARGUMENT, snn_dqn_train(a, &no_step, &t));
    st.fail_after = 1;  /* the second reset fails */
    EXPECT_STATUS(SNN_ERR_INVALID_ARGUMENT, snn_dqn_train(a, &env, &t));
    MENTIONS("reset function returned false");
    st.fail_after = -1;
    t.checkpoint_every = 5;
    EXPECT_STATUS(SNN_ERR_INVALID_ARGUMENT, snn_dqn_train(a, &env, &t));
    MENTIONS("checkpoint");
    t.checkpoint_every = 0;
    t.report_every = 0;
    EXPECT_STATUS(SNN_ERR_INVALID_ARGUMENT, snn_dqn_train(a, &env, &t));

    double l = 0;
    uint8_t s[2 * 2 * 36 * 36] = {0};
    int64_t acts[2] = {0, 3};
    float rw[2] = {0, 1};
    uint8_t term[2] = {0, 0};
    EXPECT_STATUS(SNN_ERR_OUT_OF_RANGE, snn_dqn_update(&l, a, s, s, sizeof s, acts, rw, term, 2));
    acts[1] = 1;
    EXPECT_STATUS(SNN_ERR_INVALID_ARGUMENT, snn_dqn_update(&l, a, NULL, s, sizeof s, acts, rw, term, 2));
    EXPECT_STATUS(SNN_ERR_INVALID_ARGUMENT, snn_dqn_update(&l, a, s, s, sizeof s, acts, rw, term, 0));
    EXPECT_STATUS(SNN_ERR_INVALID_ARGUMENT, snn_dqn_update(&l, a, s, s, sizeof s - 1, acts, rw, term, 2));
    rw[0] = INFINITY;
    EXPECT_STATUS(SNN_ERR_INVALID_ARGUMENT, snn_dqn_update(&l, a, s, s, sizeof s, acts, rw, term, 2));
    float q[3];
    EXPECT_STATUS(SNN_ERR_INVALID_ARGUMENT, snn_dqn_q_values(q, 3, a, s, 100));
    EXPECT_STATUS(SNN_ERR_INVALID_ARGUMENT, snn_dqn_q_values(q, 2, a, s, 2 * 36 * 36));
    double r[2];
    EXPECT_STATUS(SNN_ERR_INVALID_ARGUMENT, snn_dqn_evaluate(r, 1, a, &env, 2, 0.05, 0, 100));
    EXPECT_STATUS(SNN_ERR_INVALID_ARGUMENT, snn_dqn_save(a, NULL));
    snn_dqn *other = NULL;
    EXPECT_STATUS(SNN_ERR_INVALID_ARGUMENT, snn_dqn_load(&other, NULL));
    EXPECT_STATUS(SNN_ERR_IO, snn_dqn_load(&other, "/nonexistent/agent.dqn"));
    /* a safetensors file that is not a DQN checkpoint */
    snn_module *lin = NULL;
    CHECK_OK(snn_module_linear(&lin, 2, 2, true));
    CHECK_OK(snn_module_save(lin, "/tmp/snn_dqn_not_agent.safetensors"));
    EXPECT_STATUS(SNN_ERR_FORMAT, snn_dqn_load(&other, "/tmp/snn_dqn_not_agent.safetensors"));
    MENTIONS("not a DQN checkpoint");
    unlink("/tmp/snn_dqn_not_agent.safetensors");
    snn_module_free(lin);

    /* freed and foreign handles */
    snn_dqn *freed = a;
    CHECK_OK(snn_dqn_free(a));
    EXPECT_STATUS(SNN_ERR_INVALID_HANDLE, snn_dqn_train(freed, &env, &t));
    EXPECT_STATUS(SNN_ERR_INVALID_HANDLE, snn_dqn_free(freed));
    snn_tensor *x = NULL;
    CHECK_OK(snn_tensor_zeros(&x, (const int64_t[]){2}, 1));
    EXPECT_STATUS(SNN_ERR_INVALID_HANDLE, snn_dqn_sync_target((snn_dqn *)x));
    snn_tensor_free(x);
    CHECK(live_handles() == 0, "%lld live handles", (long long)live_handles());
    return 0;
}

/* The checkpoint reader on damaged files: every outcome is a status, never a crash. */
static int load_checkpoint(const char *path, void *ctx) {
    (void)ctx;
    snn_dqn *a = NULL;
    snn_status st = snn_dqn_load(&a, path);
    if (st == SNN_OK) return snn_dqn_free(a) != SNN_OK;
    return !(st == SNN_ERR_FORMAT || st == SNN_ERR_IO || st == SNN_ERR_INVALID_ARGUMENT || st == SNN_ERR_OUT_OF_RANGE ||
             st == SNN_ERR_SHAPE || st == SNN_ERR_DTYPE);
}

static void test_fuzz_checkpoint(void) {
    snn_dqn_options o = small_options(2, 8, 3);
    o.replay_capacity = 40;
    snn_dqn *a = NULL;
    CHECK_OK(snn_dqn_new(&a, &o));
    dot_env st = {0, 0, 0, -1};
    snn_dqn_env env = {sizeof env, dot_reset, dot_step, &st};
    snn_dqn_train_options t;
    snn_dqn_train_options_init(&t);
    t.total_frames = 300;
    CHECK_OK(snn_dqn_train(a, &env, &t));
    const char *path = "/tmp/snn_dqn_fuzz_seed.dqn";
    CHECK_OK(snn_dqn_save(a, path));
    snn_dqn_free(a);
    fuzz_file_in_child(path, 200, 22, load_checkpoint, NULL, "DQN checkpoint");
    unlink(path);
}

int main(void) {
    snn_set_num_threads(1);
    golden_case("double", true);
    golden_case("plain", false);
    test_loop_and_resume();
    test_preprocess();
    run_in_child("bad input", 120, bad_inputs);
    test_fuzz_checkpoint();
    CHECK(live_handles() == 0, "%lld live handles at the end", (long long)live_handles());
    return report("test_dqn");
}
