/*
 * swiftnn/log.h -- the library's log: messages reach the host through a callback, never
 * stdout or stderr. Included by swiftnn.h.
 *
 * The library prints nothing by itself. A host that wants to see what it would have said (a
 * slower CPU path chosen, threads started, a deprecated input accepted) installs a callback:
 *
 *     static void on_log(snn_log_level level, const char *message, void *user_data) {
 *         fprintf((FILE *)user_data, "swiftnn[%d]: %s\n", (int)level, message);
 *     }
 *     snn_set_log_callback(on_log, stderr);
 *     snn_set_log_level(SNN_LOG_INFO);
 *
 * What is logged: warnings when a slower path is taken because of the machine (the AVX2
 * kernels on a CPU without AVX-512) or a thread could not be started, and deprecations (each
 * once per process: an ONNX model with an opset below 7); info when the engine's thread pool
 * grows and when SWIFTNN_NO_AVX512 switches the AVX-512 kernels off; debug for every failed
 * call (the snn_last_error message) and which kernels were chosen. Errors are still reported
 * by return values; the log only repeats them at debug level.
 *
 * Thread safety: the callback may be called on any thread that calls into the library (and
 * on no other). Calls are serialized: the callback never runs on two threads at once, so it
 * needs no locking of its own. snn_set_log_callback waits for a callback running on another
 * thread to return; once it returns, the old callback is never called again and its
 * user_data may be freed. A message the callback itself causes (by calling into SwiftNN) is
 * dropped rather than delivered re-entrantly; the callback may call snn_set_log_callback and
 * snn_set_log_level. `message` is valid only during the call: copy it to keep it. After
 * fork() the child inherits the callback and an unlocked log.
 */

/* Severity. Values are fixed. SNN_LOG_OFF as a threshold delivers nothing. */
typedef enum snn_log_level {
    SNN_LOG_DEBUG = 0,
    SNN_LOG_INFO = 1,
    SNN_LOG_WARNING = 2,
    SNN_LOG_ERROR = 3,
    SNN_LOG_OFF = 4
} snn_log_level;

/* Receives one message (UTF-8, no trailing newline) and the user_data given with it. */
typedef void (*snn_log_fn)(snn_log_level level, const char *message, void *user_data);

/* Installs fn (NULL: none, the default: messages are dropped) with user_data, replacing any
 * previous callback. Never fails. */
snn_status snn_set_log_callback(snn_log_fn fn, void *user_data);

/* Messages below `level` are dropped before they are formatted (default SNN_LOG_WARNING).
 * SNN_ERR_INVALID_ARGUMENT for a value outside SNN_LOG_DEBUG...SNN_LOG_OFF. */
snn_status snn_set_log_level(snn_log_level level);

/* The current threshold. */
snn_status snn_get_log_level(snn_log_level *out_level);
