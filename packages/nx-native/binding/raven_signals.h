// Keeping asynchronous signals off the threads that run TensorFlow's kernels.
//
// TensorFlow 2.21's oneDNN f32 GEMM kernels (the `MatMul` op's `jit_avx512_common_gemm_f32`, and
// the AVX2 one) point the stack pointer into a heap buffer while they run. A signal delivered to
// that thread then has its frame written onto the heap, which glibc later reports as "corrupted
// size vs. prev_size" (or which silently damages other data): oneDNN issue #4845, fixed in oneDNN
// 3.11.2, after the oneDNN TensorFlow 2.21 ships. Node installs handlers for signals a training
// script meets every day: SIGPROF (`node --cpu-prof`), SIGCHLD (a child process exiting), SIGINT
// and SIGTERM (`process.on('SIGINT', save)`), SIGWINCH (a terminal resized under a progress bar).
//
// So the binding blocks every asynchronous signal while a thread is inside TensorFlow (creating
// the context, executing an op or a function, running a SavedModel): the kernel then leaves such
// a signal pending on that thread (or hands a process-wide one to a thread that does not block
// it), and it is delivered when the call returns. Threads TensorFlow starts inside those calls
// (its inter- and intra-op pools) inherit the mask and never take one. Synchronous signals
// (SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGTRAP, SIGSYS) and SIGABRT stay unblocked: they belong to
// the faulting thread and blocking them is undefined behaviour.
#ifndef RAVEN_SIGNALS_H_
#define RAVEN_SIGNALS_H_

#if !defined(_WIN32)
#include <pthread.h>
#include <signal.h>
#endif

namespace raven {

// Blocks asynchronous signals on the calling thread for its lifetime (a scope around a TensorFlow
// call), then restores the thread's previous mask. Two `pthread_sigmask` calls, well under a
// microsecond. Nothing on Windows, which has no POSIX signals.
class AsyncSignalsBlocked {
 public:
  AsyncSignalsBlocked() {
#if !defined(_WIN32)
    sigset_t blocked;
    sigfillset(&blocked);
    for (int s : {SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGTRAP, SIGSYS, SIGABRT}) sigdelset(&blocked, s);
    pthread_sigmask(SIG_BLOCK, &blocked, &previous_);
#endif
  }
  ~AsyncSignalsBlocked() {
#if !defined(_WIN32)
    pthread_sigmask(SIG_SETMASK, &previous_, nullptr);
#endif
  }
  AsyncSignalsBlocked(const AsyncSignalsBlocked &) = delete;
  AsyncSignalsBlocked &operator=(const AsyncSignalsBlocked &) = delete;

 private:
#if !defined(_WIN32)
  sigset_t previous_;
#endif
};

}  // namespace raven

#endif  // RAVEN_SIGNALS_H_
