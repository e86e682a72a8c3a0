/*
 * swiftnn/dqn.h -- deep Q-learning (DQN; Mnih et al. 2015, "Human-level control through deep
 * reinforcement learning") trained in the engine. Included by swiftnn.h.
 *
 * The agent owns the Nature network (conv 8x8/4 32, conv 4x4/2 64, conv 3x3/1 64, linear
 * `hidden`, linear `actions`, ReLU between; PyTorch nn.Sequential names "0.weight" ...
 * "9.bias"; the input is the last `history` frames as floats, byte / 255), a target copy of
 * it, the optimizer, and a replay buffer that stores each frame once (a state's stack is
 * assembled when sampled: 100,000 transitions of 84x84 frames take 0.7 GB, not 5.6 GB).
 *
 * The host drives nothing but the environment: snn_dqn_train calls the host's reset and step
 * functions (snn_dqn_env) and does the rest in the engine: epsilon-greedy acting, storing
 * transitions (rewards clipped to their sign), sampling, the Huber loss on the taken actions'
 * Q-values against r + gamma (1 - terminal) Q_target(s', a*) (a* from the online network
 * with Double DQN), gradient clipping, Adam or RMSprop, target syncs, progress with an ETA,
 * and checkpoints that resume exactly.
 *
 *     snn_dqn_options o; snn_dqn_options_init(&o); o.actions = 6;
 *     snn_dqn *agent; snn_dqn_new(&agent, &o);
 *     snn_dqn_env env = { sizeof env, my_reset, my_step, my_state };
 *     snn_dqn_train_options t; snn_dqn_train_options_init(&t);
 *     t.total_frames = 2000000; t.checkpoint_every = 50000; t.checkpoint_path = "pong.dqn";
 *     snn_dqn_train(agent, &env, &t);
 *     snn_dqn_free(agent);
 *
 * Counting: a step is one action (the environment repeats it `frame_skip` times, its own
 * business); frames are emulator frames as the environment reports them. The schedule
 * (learning_starts, train_every, target_update_every, epsilon) counts steps from the first.
 *
 * Threads: an snn_dqn is used by one thread at a time; the env functions and the progress
 * callback run on the calling thread and must not call back into the same agent.
 * Errors: SNN_ERR_INVALID_ARGUMENT for NULL pointers, bad options or sizes, an env function
 * that returned false (the message says which); SNN_ERR_FORMAT for a file that is not a
 * DQN checkpoint; SNN_ERR_AUTOGRAD if the loss becomes non-finite.
 */

typedef struct snn_dqn snn_dqn;

typedef enum snn_dqn_optimizer {
    SNN_DQN_ADAM = 0,
    SNN_DQN_RMSPROP = 1   /* alpha 0.95 */
} snn_dqn_optimizer;

/* The agent's settings. Fill with snn_dqn_options_init, then change fields. */
typedef struct snn_dqn_options {
    size_t struct_size;           /* sizeof(snn_dqn_options) */
    int64_t actions;              /* 1...4096, default 6 (Pong's minimal action set) */
    int64_t frame_height;         /* 36...4096, default 84 */
    int64_t frame_width;          /* 36...4096, default 84 */
    int64_t history;              /* frames per state, 1...64, default 4 */
    int64_t hidden;               /* width of the hidden linear layer, default 512 */
    int64_t replay_capacity;      /* transitions kept, default 100000 */
    int64_t batch_size;           /* default 32 */
    double gamma;                 /* discount, 0...1, default 0.99 */
    snn_dqn_optimizer optimizer;  /* SNN_DQN_ADAM (default) or SNN_DQN_RMSPROP */
    double lr;                    /* default 1e-4 */
    double optimizer_eps;         /* default 1.5e-4 */
    int64_t learning_starts;      /* steps of experience before the first update, default 20000 */
    int64_t train_every;          /* an update every this many steps, default 4 */
    int64_t target_update_every;  /* steps between target-network syncs, default 4000 */
    double epsilon_start;         /* default 1 */
    double epsilon_end;           /* default 0.01 */
    int64_t epsilon_decay_steps;  /* linear decay from start to end over these steps, default 250000 */
    bool double_dqn;              /* default true */
    bool clip_rewards;            /* store sign(reward), default true */
    double max_grad_norm;         /* total gradient norm cap per update; 0: none; default 10 */
    int64_t noop_max;             /* each episode starts with 0...noop_max no-ops, default 30 */
    uint64_t seed;                /* the agent's generator (exploration, sampling, no-ops), default 0 */
} snn_dqn_options;

/* Sets struct_size and the defaults given beside each field. */
snn_status snn_dqn_options_init(snn_dqn_options *opts);

/* A new agent. The network's initial weights come from the global generator
 * (snn_manual_seed), as every module's do. Free with snn_dqn_free. */
snn_status snn_dqn_new(snn_dqn **out, const snn_dqn_options *opts);
snn_status snn_dqn_free(snn_dqn *agent);

/* The agent's options (e.g. of one loaded from a checkpoint) into *out. */
snn_status snn_dqn_get_options(snn_dqn_options *out, const snn_dqn *agent);

/* The environment, supplied by the host. Frames are frame_height * frame_width bytes,
 * row-major (snn_atari_preprocess makes them from Atari screens). Return false on an error:
 * the engine stops and reports it. */

/* Starts an episode, takes `noops` no-op actions, writes the first frame; *frames gets the
 * emulator frames used (the no-ops included). */
typedef bool (*snn_dqn_reset_fn)(void *user_data, int64_t noops, uint8_t *frame, int64_t *frames);

/* Takes `action` (0...actions-1) and writes the next frame. *reward: the raw reward;
 * *terminal: do not bootstrap from the next state (game over, or a lost life when training
 * with life loss as terminal); *episode_end: the episode is over (game over or truncated; a
 * truncated step has terminal false and is never sampled); *frames: the emulator frames used. */
typedef bool (*snn_dqn_step_fn)(void *user_data, int64_t action, uint8_t *frame, double *reward, bool *terminal,
                                bool *episode_end, int64_t *frames);

typedef struct snn_dqn_env {
    size_t struct_size;           /* sizeof(snn_dqn_env) */
    snn_dqn_reset_fn reset;
    snn_dqn_step_fn step;
    void *user_data;
} snn_dqn_env;

/* Sets struct_size; the function pointers and user_data to NULL. */
snn_status snn_dqn_env_init(snn_dqn_env *env);

/* What the progress callback receives. */
typedef struct snn_dqn_progress {
    size_t struct_size;           /* sizeof(snn_dqn_progress) of the library */
    int64_t steps, frames, total_frames, updates, episodes;
    double epsilon;
    double loss;                  /* mean Huber loss of the updates since the last report; NaN if none */
    double last_return;           /* of the last finished episode (unclipped); NaN if none */
    double mean_return_100;       /* over the last 100 finished episodes; NaN if none */
    double frames_per_second;     /* emulator frames per second since the last report */
    double elapsed_seconds;       /* training time, resumed runs included */
    double eta_seconds;           /* to total_frames at the current speed */
} snn_dqn_progress;

/* Return true to go on, false to stop at the end of the current episode. */
typedef bool (*snn_dqn_progress_fn)(const snn_dqn_progress *progress, void *user_data);

typedef struct snn_dqn_train_options {
    size_t struct_size;           /* sizeof(snn_dqn_train_options) */
    int64_t total_frames;         /* train until the agent has seen this many frames in all
                                   * (resumed runs included); default 1000000 */
    double max_seconds;           /* stop at the first episode end after this many seconds of
                                   * this call; 0 (default): no limit */
    int64_t report_every;         /* steps between progress calls, default 5000 */
    int64_t checkpoint_every;     /* checkpoint at the first episode end after this many steps
                                   * since the last one (and when training stops); 0 (default): never */
    const char *checkpoint_path;  /* written atomically; required when checkpoint_every > 0 */
    snn_dqn_progress_fn progress; /* may be NULL */
    void *user_data;
} snn_dqn_train_options;

snn_status snn_dqn_train_options_init(snn_dqn_train_options *opts);

/* Trains (see the top of this file). Each call starts a fresh episode; a run resumed from a
 * checkpoint (written at an episode's end) continues exactly as if never stopped, provided the
 * environment's reset is deterministic given its no-op count. */
snn_status snn_dqn_train(snn_dqn *agent, const snn_dqn_env *env, const snn_dqn_train_options *opts);

/* Plays `episodes` episodes with `epsilon` (0.05 in the DQN papers) and random no-op starts,
 * drawn from a generator seeded with `seed` (training's is untouched), storing nothing;
 * an episode stops after max_frames_per_episode frames (108000: 30 minutes of play).
 * returns[0..episodes) receives each episode's unclipped return (capacity >= episodes). */
snn_status snn_dqn_evaluate(double *returns, size_t capacity, snn_dqn *agent, const snn_dqn_env *env,
                            int64_t episodes, double epsilon, uint64_t seed, int64_t max_frames_per_episode);

/* The online network's Q-values (out: `actions` floats, capacity >= actions) for one state
 * given as its frames: history * frame_height * frame_width bytes, oldest frame first. */
snn_status snn_dqn_q_values(float *out, size_t capacity, snn_dqn *agent, const uint8_t *frames, size_t length);

/* One update on an explicit batch (the training loop's update without the sampling):
 * states and next_states are `length` bytes each, which must be batch * history *
 * frame_height * frame_width (checked before anything is read); actions,
 * rewards and terminal (0 or 1) batch values each. *loss gets the Huber loss before the
 * step. The online network's parameters keep this update's gradients (.grad)
 * until the next one. */
snn_status snn_dqn_update(double *loss, snn_dqn *agent, const uint8_t *states, const uint8_t *next_states, size_t length,
                          const int64_t *actions, const float *rewards, const uint8_t *terminal, int64_t batch);

/* Copies the online network into the target network. */
snn_status snn_dqn_sync_target(snn_dqn *agent);

/* A new handle to the online network (shared, not copied: it sees training's updates). Free
 * it with snn_module_free; snn_onnx_export and snn_module_save take it. */
snn_status snn_dqn_network(snn_module **out, const snn_dqn *agent);

typedef struct snn_dqn_stats {
    size_t struct_size;           /* sizeof(snn_dqn_stats) of the library */
    int64_t steps, frames, updates, episodes;
    double epsilon;               /* at the current step */
    double last_loss;             /* NaN before the first update */
    double train_seconds;         /* in snn_dqn_train, resumed runs included */
    int64_t replay_size;          /* transitions stored */
    /* Where train_seconds went: the environment's reset and step calls, choosing actions (the
     * batch-1 forward), and updates (sampling, stacking, forward, backward, optimizer, target
     * syncs); the rest is the loop's bookkeeping and the progress callback. */
    double env_seconds, act_seconds, update_seconds;
} snn_dqn_stats;
snn_status snn_dqn_get_stats(snn_dqn_stats *out, const snn_dqn *agent);

/* The learning curve: each finished training episode's return and the frame count at its
 * end, oldest first. *count gets the number of episodes; up to capacity are written (with
 * capacity 0 both arrays may be NULL: a query of the count). */
snn_status snn_dqn_episodes(double *returns, int64_t *end_frames, size_t capacity, size_t *count, const snn_dqn *agent);

/* Everything needed to continue exactly (networks, optimizer state, replay buffer, counters,
 * generator, episode history) in one safetensors file, written atomically; the online
 * network's weights are the tensors "online.<name>". */
snn_status snn_dqn_save(const snn_dqn *agent, const char *path);
snn_status snn_dqn_load(snn_dqn **out, const char *path);

/* The DQN papers' Atari frame: the pixel-wise max of two grayscale screens (b may be NULL:
 * a alone) of height x width bytes, resized to out_height x out_width by area averaging
 * (OpenCV's INTER_AREA), into out (out_height * out_width bytes). */
snn_status snn_atari_preprocess(uint8_t *out, int64_t out_height, int64_t out_width, const uint8_t *a,
                                const uint8_t *b, int64_t height, int64_t width);
