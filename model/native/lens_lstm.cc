// LSTM Lens' whole-sequence LSTM kernel for CPU: one op per layer, forward and gradient.
//
// Why our own kernel: at the tutorial's size (rnn_unit 10, time_step 90, batch 80) a training
// step is a few thousand tiny products. Keras' loop pays TensorFlow's op dispatch on every one;
// TensorFlow's fused BlockLSTM pays a handful of Eigen thread-pool dispatches per time step,
// re-lays out the weights and transposes the sequence on every call, and accumulates the weight
// gradients with a small matrix product per step. Here:
//   * the batch is split once into one contiguous block of rows per intra-op thread, and each
//     thread runs ITS rows through the whole sequence (rows of an LSTM never interact), so the
//     threads meet once per op, not once per time step;
//   * within a block, tiles of 4 rows go through the sequence together; each step's product is a
//     register tile (4 rows x up to 64 gate columns of accumulators, vectorised by the compiler
//     with -O3 -march=native), with no call or dispatch inside the time loop;
//   * for larger layers the products that do not depend on the previous step (the input side,
//     and the gradients for x, the kernels and the bias) leave the time loop and become GEMMs
//     over all steps of a tile (see kHoistAbove);
//   * the activations run through Eigen's vectorised logistic/tanh on aligned, padded buffers;
//   * each thread accumulates its own weight gradients, summed in a fixed order at the end, so
//     results do not depend on thread timing.
// It computes exactly Keras' LSTM (gate order i, f, c, o; forget gate's +1 inside the bias;
// no cell clipping; sigmoid recurrent activation, tanh activation), so Keras' weights go in
// unchanged. tests/model/test_fused_lstm.py checks outputs and gradients against Keras' LSTM,
// tests/model/test_native_lstm.py against finite differences and for repeatability.
//
// Layout: batch-major as Keras passes it (no transposes): x [B, T, I]; kernel [I, 4U];
// recurrent_kernel [U, 4U]; bias [4U]. The forward op outputs h, c, tanh(c) [B, T, U] and the
// activated gates [B, T, 4U]; the gradient op reads them instead of recomputing them.

#define EIGEN_USE_THREADS

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <vector>

// GCC 12 warns falsely inside its own AVX-512 intrinsics once they are inlined into Eigen's
// packet transposes (_mm512_undefined_ps initialises itself on purpose; GCC bug 105593). The
// warnings are located in the compiler's and TensorFlow's headers, so they are silenced for
// those headers only; our own code below keeps every warning.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#endif

#include "Eigen/Core"
#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "tensorflow/core/framework/op.h"
#include "tensorflow/core/framework/op_kernel.h"
#include "tensorflow/core/framework/shape_inference.h"
#include "tensorflow/core/util/work_sharder.h"
#pragma GCC diagnostic pop

namespace lens {

using tensorflow::OpKernel;
using tensorflow::OpKernelConstruction;
using tensorflow::OpKernelContext;
using tensorflow::Tensor;
using tensorflow::TensorShape;
using tensorflow::shape_inference::DimensionHandle;
using tensorflow::shape_inference::InferenceContext;
using tensorflow::shape_inference::ShapeHandle;

// An InvalidArgument status from its message's parts (TensorFlow's errors::InvalidArgument
// is deprecated in favour of absl's).
template <typename... Args>
static absl::Status InvalidArgument(const Args&... parts) {
  return absl::InvalidArgumentError(absl::StrCat(parts...));
}

// Scratch buffers are 64-byte aligned and their lengths a multiple of 16 floats, so Eigen's
// vectorised logistic/tanh takes every element through the same packet code: an unaligned
// start would send a few leading elements through the scalar code, whose last bit can differ,
// making results depend on where the heap put a buffer.
using AlignedVector = std::vector<float, Eigen::aligned_allocator<float>>;
using ArrayMap = Eigen::Map<Eigen::ArrayXf, Eigen::Aligned64>;
// ArrayMap promises Eigen 64-byte-aligned data; Eigen's aligned_allocator only returns that when
// EIGEN_MAX_ALIGN_BYTES is at least 64 (TensorFlow's compile flags set it). Without this check a
// smaller setting would compile and then read misaligned buffers through aligned loads.
static_assert(EIGEN_MAX_ALIGN_BYTES >= 64, "ArrayMap's Aligned64 needs EIGEN_MAX_ALIGN_BYTES >= 64");

// Sizes of one LSTM layer over one batch.
struct Dims {
  int64_t time, batch, input, units;
  int64_t gates() const { return 4 * units; }
};

// One block of batch rows per intra-op thread (at least 8 rows a block: fewer is not worth a thread).
static int64_t BlockCount(OpKernelContext* ctx, int64_t batch) {
  const int64_t threads = ctx->device()->tensorflow_cpu_worker_threads()->num_threads;
  return std::max<int64_t>(1, std::min<int64_t>(threads, batch / 8));
}

// Runs fn(block, first_row, end_row) for every block, blocks in parallel on the intra-op pool.
template <typename Fn>
static void ForEachBlock(OpKernelContext* ctx, int64_t batch, int64_t blocks, Fn fn) {
  auto* workers = ctx->device()->tensorflow_cpu_worker_threads()->workers;
  const int64_t rows = (batch + blocks - 1) / blocks;
  // One unit per block, each priced high so Shard gives every block its own thread.
  tensorflow::Shard(blocks, workers, blocks, int64_t{1} << 30, [&](int64_t first, int64_t end) {
    for (int64_t block = first; block < end; ++block) {
      const int64_t r0 = block * rows, r1 = std::min(batch, r0 + rows);
      if (r0 < r1) fn(block, r0, r1);
    }
  });
}

static absl::Status CheckInputs(OpKernelContext* ctx, Dims* d) {
  const Tensor& x = ctx->input(0);
  const Tensor& h0 = ctx->input(1);
  const Tensor& c0 = ctx->input(2);
  const Tensor& kernel = ctx->input(3);
  const Tensor& recurrent = ctx->input(4);
  const Tensor& bias = ctx->input(5);
  if (x.dims() != 3) return InvalidArgument("x must be [batch, time, input], got ", x.shape().DebugString());
  if (recurrent.dims() != 2) return InvalidArgument("recurrent_kernel must be [units, 4 * units]");
  d->batch = x.dim_size(0);
  d->time = x.dim_size(1);
  d->input = x.dim_size(2);
  d->units = recurrent.dim_size(0);
  const int64_t g = d->gates();
  if (recurrent.dim_size(1) != g) return InvalidArgument("recurrent_kernel must be [units, 4 * units]");
  if (kernel.dims() != 2 || kernel.dim_size(0) != d->input || kernel.dim_size(1) != g)
    return InvalidArgument("kernel must be [input, 4 * units], got ", kernel.shape().DebugString());
  if (bias.dims() != 1 || bias.dim_size(0) != g) return InvalidArgument("bias must be [4 * units]");
  for (const Tensor* s : {&h0, &c0})
    if (s->dims() != 2 || s->dim_size(0) != d->batch || s->dim_size(1) != d->units)
      return InvalidArgument("initial states must be [batch, units], got ", s->shape().DebugString());
  return absl::OkStatus();
}

// ---- Small dense products with the accumulators held in registers -------------------------
// Widths are padded to a multiple of 16 floats (one AVX-512 register, two AVX2 ones) so the
// fixed-size inner loops below vectorise without remainders; pads are zero.

constexpr int64_t kLane = 16;
// A padded width is then a whole number of 64-byte lines: offsets into an aligned buffer by
// padded widths (rows of gates, blocks of partial sums) stay aligned for ArrayMap.
static_assert(kLane * sizeof(float) % 64 == 0, "padded widths must keep 64-byte alignment");
constexpr int kRows = 4;  // batch rows per tile: 4 rows x up to 4 x 16 columns = 16 accumulators

static int64_t Padded(int64_t n) { return (n + kLane - 1) / kLane * kLane; }

// Two ways to arrange the work, by size (kHoistAbove is where they cross; README, Speed):
// * "in the loop" (units <= kHoistAbove): every product of a step, input side and weight
//   gradients included, happens inside the time loop on the tile's rows. For small layers the
//   four gates of a row fit one register tile, so nothing beats keeping them there.
// * "hoisted" (larger): the time loop keeps only the recurrent products; the input side
//   (x . kernel for all steps) and the gradients for x, the kernels and the bias are GEMMs over
//   all steps of the tile's rows at once, which Eigen runs at full width.
constexpr int64_t kHoistAbove = 16;

// One factor of a product: rows of A [m x k] (row stride lda) times B [k x ldb].
struct Factor {
  const float* a;
  int64_t lda, k;
  const float* b;
};

// Rows to start a product from: row r is init[r * ld] (ld 0: one row for all); or zeros.
struct Init {
  const float* row;
  int64_t ld;
};

// C[m x 16*NC] = init + F1 + F2; each factor contributes A . B, and the accumulators stay in
// registers across both factors.
template <int M, int NC>
static inline void TileProduct(const Factor& f1, const Factor& f2, int64_t ldb, int64_t j0, const Init& init,
                               float* __restrict C, int64_t ldc) {
  float acc[M][NC * kLane];
  for (int r = 0; r < M; ++r)
    for (int j = 0; j < NC * kLane; ++j) acc[r][j] = init.row ? init.row[r * init.ld + j0 + j] : 0.0f;
  for (const Factor* f : {&f1, &f2}) {
    for (int64_t k = 0; k < f->k; ++k) {
      const float* __restrict b = f->b + k * ldb + j0;
      for (int r = 0; r < M; ++r) {
        const float a = f->a[r * f->lda + k];
        for (int j = 0; j < NC * kLane; ++j) acc[r][j] += a * b[j];
      }
    }
  }
  for (int r = 0; r < M; ++r)
    for (int j = 0; j < NC * kLane; ++j) C[r * ldc + j0 + j] = acc[r][j];
}

template <int M>
static inline void RowsProduct(const Factor& f1, const Factor& f2, int64_t ldb, int64_t N, const Init& init, float* C,
                               int64_t ldc) {
  int64_t j = 0;
  for (; j + 4 * kLane <= N; j += 4 * kLane) TileProduct<M, 4>(f1, f2, ldb, j, init, C, ldc);
  switch ((N - j) / kLane) {
    case 3: TileProduct<M, 3>(f1, f2, ldb, j, init, C, ldc); break;
    case 2: TileProduct<M, 2>(f1, f2, ldb, j, init, C, ldc); break;
    case 1: TileProduct<M, 1>(f1, f2, ldb, j, init, C, ldc); break;
    default: break;
  }
}

// C[m x N] = init + F1 + F2 for m <= kRows rows; N and ldb multiples of kLane.
static void Product(int m, const Factor& f1, const Factor& f2, int64_t ldb, int64_t N, const Init& init, float* C,
                    int64_t ldc) {
  switch (m) {
    case 4: RowsProduct<4>(f1, f2, ldb, N, init, C, ldc); break;
    case 3: RowsProduct<3>(f1, f2, ldb, N, init, C, ldc); break;
    case 2: RowsProduct<2>(f1, f2, ldb, N, init, C, ldc); break;
    case 1: RowsProduct<1>(f1, f2, ldb, N, init, C, ldc); break;
    default: break;
  }
}

// S[k x N] += A[m x k]^T . D[m x N]: one part of the weight gradient's outer products. The
// tile of D (m rows x up to 64 columns) stays in registers while every row of S streams past.
template <int M, int NC>
static inline void OuterTile(const float* __restrict A, int64_t lda, int64_t K, const float* __restrict D, int64_t ldd,
                             int64_t j0, float* __restrict S, int64_t lds) {
  float d[M][NC * kLane];
  for (int r = 0; r < M; ++r)
    for (int j = 0; j < NC * kLane; ++j) d[r][j] = D[r * ldd + j0 + j];
  for (int64_t k = 0; k < K; ++k) {
    float* __restrict s = S + k * lds + j0;
    float acc[NC * kLane];
    for (int j = 0; j < NC * kLane; ++j) acc[j] = s[j];
    for (int r = 0; r < M; ++r) {
      const float a = A[r * lda + k];
      for (int j = 0; j < NC * kLane; ++j) acc[j] += a * d[r][j];
    }
    for (int j = 0; j < NC * kLane; ++j) s[j] = acc[j];
  }
}

template <int M>
static inline void RowsOuter(const float* A, int64_t lda, int64_t K, const float* D, int64_t ldd, int64_t N, float* S,
                             int64_t lds) {
  int64_t j = 0;
  for (; j + 4 * kLane <= N; j += 4 * kLane) OuterTile<M, 4>(A, lda, K, D, ldd, j, S, lds);
  switch ((N - j) / kLane) {
    case 3: OuterTile<M, 3>(A, lda, K, D, ldd, j, S, lds); break;
    case 2: OuterTile<M, 2>(A, lda, K, D, ldd, j, S, lds); break;
    case 1: OuterTile<M, 1>(A, lda, K, D, ldd, j, S, lds); break;
    default: break;
  }
}

// S[K x N] += A[m x K]^T . D[m x N] for m <= kRows rows; N a multiple of kLane.
static void Outer(int m, const float* A, int64_t lda, int64_t K, const float* D, int64_t ldd, int64_t N, float* S,
                  int64_t lds) {
  switch (m) {
    case 4: RowsOuter<4>(A, lda, K, D, ldd, N, S, lds); break;
    case 3: RowsOuter<3>(A, lda, K, D, ldd, N, S, lds); break;
    case 2: RowsOuter<2>(A, lda, K, D, ldd, N, S, lds); break;
    case 1: RowsOuter<1>(A, lda, K, D, ldd, N, S, lds); break;
    default: break;
  }
}

// What the gradient op reads of the forward pass and of the incoming gradients, batch-major.
struct Saved {
  const float *gates, *tanh_c, *c, *c0, *dh, *dc;
  int64_t T, U, G;
};

// One row at one step of the gradient: the four pre-activations' gradients (Keras' order i, f,
// c, o) into dg, from the saved forward pass, the gradients arriving at h_t and c_t from outside
// and from step t+1 (dhn, dcn); dcn becomes the gradient into c_{t-1}.
static inline void GateGradients(const Saved& s, int64_t row, int64_t t, const float* __restrict dhn,
                                 float* __restrict dcn, float* __restrict dg) {
  const int64_t U = s.U, at = row * s.T + t;
  const float* __restrict g = s.gates + at * s.G;
  const float* __restrict tc = s.tanh_c + at * U;
  const float* __restrict dht = s.dh + at * U;
  const float* __restrict dct = s.dc + at * U;
  const float* __restrict cp = t ? s.c + (at - 1) * U : s.c0 + row * U;
  for (int64_t u = 0; u < U; ++u) {
    const float i = g[u], f = g[U + u], cc = g[2 * U + u], o = g[3 * U + u];
    const float th = tc[u];
    const float dh = dht[u] + dhn[u];
    const float dc = dct[u] + dcn[u] + dh * o * (1.0f - th * th);
    dg[u] = dc * cc * i * (1.0f - i);
    dg[U + u] = dc * cp[u] * f * (1.0f - f);
    dg[2 * U + u] = dc * i * (1.0f - cc * cc);
    dg[3 * U + u] = dh * th * o * (1.0f - o);
    dcn[u] = dc * f;
  }
}

// Whole-tile products (all time steps of a tile's rows at once) go through Eigen's GEMM.
using Matrix = Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
using MatrixMap = Eigen::Map<Matrix>;
using ConstMatrixMap = Eigen::Map<const Matrix>;

// Keras' weights as one padded matrix [kernel; recurrent_kernel] of [I + U, Gp], the padded
// bias, and for the gradient the transpose the strategy needs (see kHoistAbove).
struct PackedWeights {
  int64_t K, Gp, Up, Kp;
  std::vector<float> wr, r_t, wr_t, bias;
  PackedWeights(const Dims& d, const float* W, const float* R, const float* b, bool transpose)
      : K(d.input + d.units), Gp(Padded(d.gates())), Up(Padded(d.units)), Kp(Padded(d.input + d.units)) {
    const int64_t G = d.gates();
    wr.assign(K * Gp, 0.0f);
    for (int64_t k = 0; k < d.input; ++k) std::memcpy(&wr[k * Gp], W + k * G, G * sizeof(float));
    for (int64_t k = 0; k < d.units; ++k) std::memcpy(&wr[(d.input + k) * Gp], R + k * G, G * sizeof(float));
    bias.assign(Gp, 0.0f);
    std::memcpy(bias.data(), b, G * sizeof(float));
    if (transpose && d.units > kHoistAbove) {  // recurrent_kernel^T [Gp x Up]: gradient into h_{t-1}
      r_t.assign(Gp * Up, 0.0f);
      for (int64_t k = 0; k < d.units; ++k)
        for (int64_t j = 0; j < G; ++j) r_t[j * Up + k] = R[k * G + j];
    } else if (transpose) {  // [kernel; recurrent_kernel]^T [Gp x Kp]: gradients into x_t and h_{t-1}
      wr_t.assign(Gp * Kp, 0.0f);
      for (int64_t k = 0; k < K; ++k)
        for (int64_t j = 0; j < G; ++j) wr_t[j * Kp + k] = wr[k * Gp + j];
    }
  }
};

// Batch-major layout throughout, as Keras passes it: x [B, T, I]; h, c, tanh(c) [B, T, U];
// gates [B, T, 4U]. Each tile of up to kRows rows runs through the whole sequence on its own.
class LensLstmOp : public OpKernel {
 public:
  explicit LensLstmOp(OpKernelConstruction* ctx) : OpKernel(ctx) {}

  void Compute(OpKernelContext* ctx) override {
    Dims d;
    OP_REQUIRES_OK(ctx, CheckInputs(ctx, &d));
    const int64_t T = d.time, B = d.batch, I = d.input, U = d.units, G = d.gates();
    Tensor *h_out, *c_out, *gates_out, *tanh_c_out;
    OP_REQUIRES_OK(ctx, ctx->allocate_output(0, TensorShape({B, T, U}), &h_out));
    OP_REQUIRES_OK(ctx, ctx->allocate_output(1, TensorShape({B, T, U}), &c_out));
    OP_REQUIRES_OK(ctx, ctx->allocate_output(2, TensorShape({B, T, G}), &gates_out));
    OP_REQUIRES_OK(ctx, ctx->allocate_output(3, TensorShape({B, T, U}), &tanh_c_out));
    if (T == 0 || B == 0 || U == 0) return;

    const float* x = ctx->input(0).flat<float>().data();
    const float* h0 = ctx->input(1).flat<float>().data();
    const float* c0 = ctx->input(2).flat<float>().data();
    const PackedWeights w(d, ctx->input(3).flat<float>().data(), ctx->input(4).flat<float>().data(),
                          ctx->input(5).flat<float>().data(), false);
    float* H = h_out->flat<float>().data();
    float* C = c_out->flat<float>().data();
    float* Gs = gates_out->flat<float>().data();
    float* TC = tanh_c_out->flat<float>().data();
    const int64_t Gp = w.Gp;

    ForEachBlock(ctx, B, BlockCount(ctx, B), [&](int64_t, int64_t r0, int64_t r1) {
      // Per tile: h_{t-1} and c_{t-1} rows, the gates, the c~ / tanh(c) scratch.
      const int64_t Up = Padded(kRows * U);
      const bool hoist = U > kHoistAbove;
      AlignedVector h(kRows * U), c(Up, 0.0f), gates(kRows * Gp), scratch(Up, 0.0f), inputs(hoist ? kRows * T * Gp : 0);
      const float* R = w.wr.data() + I * Gp;
      const ConstMatrixMap kernel(w.wr.data(), I, Gp);
      const Eigen::Map<const Eigen::RowVectorXf> bias(w.bias.data(), Gp);
      for (int64_t first = r0; first < r1; first += kRows) {
        const int m = static_cast<int>(std::min<int64_t>(kRows, r1 - first));
        if (hoist) {
          // The input side of every step at once, one GEMM: bias + x . kernel for the tile's rows
          // (contiguous in x: [m * T, I]).
          MatrixMap from_inputs(inputs.data(), m * T, Gp);
          from_inputs.noalias() = ConstMatrixMap(x + first * T * I, m * T, I) * kernel;
          from_inputs.rowwise() += bias;
        }
        for (int r = 0; r < m; ++r)
          for (int64_t u = 0; u < U; ++u) {
            h[r * U + u] = h0[(first + r) * U + u];
            c[r * U + u] = c0[(first + r) * U + u];
          }
        for (int64_t t = 0; t < T; ++t) {
          // Pre-activations: bias + x_t . kernel (hoisted, or here with x read in place)
          // + h_{t-1} . recurrent_kernel.
          const Factor from_h{h.data(), U, U, R};
          if (hoist) {
            const Factor none{nullptr, 0, 0, nullptr};
            Product(m, from_h, none, Gp, Gp, Init{inputs.data() + t * Gp, T * Gp}, gates.data(), Gp);
          } else {
            const Factor from_x{x + (first * T + t) * I, T * I, I, w.wr.data()};
            Product(m, from_x, from_h, Gp, Gp, Init{w.bias.data(), 0}, gates.data(), Gp);
          }
          // Activations, vectorised over contiguous memory: tanh of the c~ pre-activations in
          // the scratch, the logistic over all gates (the c~ columns are then overwritten).
          for (int r = 0; r < m; ++r)
            for (int64_t u = 0; u < U; ++u) scratch[r * U + u] = gates[r * Gp + 2 * U + u];
          ArrayMap(scratch.data(), Up) = ArrayMap(scratch.data(), Up).tanh();
          ArrayMap(gates.data(), m * Gp) = ArrayMap(gates.data(), m * Gp).logistic();
          for (int r = 0; r < m; ++r) {
            float* __restrict g = &gates[r * Gp];
            float* __restrict cr = &c[r * U];
            const int64_t at = (first + r) * T + t;
            float* __restrict c_out = C + at * U;
            for (int64_t u = 0; u < U; ++u) {
              g[2 * U + u] = scratch[r * U + u];
              cr[u] = g[U + u] * cr[u] + g[u] * g[2 * U + u];  // c_t = f * c_{t-1} + i * c~
              c_out[u] = cr[u];
            }
            float* __restrict g_out = Gs + at * G;
            for (int64_t j = 0; j < G; ++j) g_out[j] = g[j];
          }
          ArrayMap(scratch.data(), Up) = ArrayMap(c.data(), Up).tanh();
          for (int r = 0; r < m; ++r) {
            const float* __restrict g = &gates[r * Gp];
            const int64_t at = (first + r) * T + t;
            float* __restrict h_out = H + at * U;
            float* __restrict tc_out = TC + at * U;
            for (int64_t u = 0; u < U; ++u) {
              const float tc = scratch[r * U + u];
              h[r * U + u] = g[3 * U + u] * tc;  // h_t = o * tanh(c_t)
              h_out[u] = h[r * U + u];
              tc_out[u] = tc;
            }
          }
        }
      }
    });
  }
};

class LensLstmGradOp : public OpKernel {
 public:
  explicit LensLstmGradOp(OpKernelConstruction* ctx) : OpKernel(ctx) {}

  void Compute(OpKernelContext* ctx) override {
    Dims d;
    OP_REQUIRES_OK(ctx, CheckInputs(ctx, &d));
    const int64_t T = d.time, B = d.batch, I = d.input, U = d.units, G = d.gates();
    for (int i = 6; i < 12; ++i) {
      const int64_t width = i == 8 ? G : U;
      const Tensor& t = ctx->input(i);
      OP_REQUIRES(ctx, t.dims() == 3 && t.dim_size(0) == B && t.dim_size(1) == T && t.dim_size(2) == width,
                  InvalidArgument("input ", i, " must be [batch, time, ", width, "], got ", t.shape().DebugString()));
    }
    Tensor *dx_out, *dh0_out, *dc0_out, *dw_out, *dr_out, *db_out;
    OP_REQUIRES_OK(ctx, ctx->allocate_output(0, TensorShape({B, T, I}), &dx_out));
    OP_REQUIRES_OK(ctx, ctx->allocate_output(1, TensorShape({B, U}), &dh0_out));
    OP_REQUIRES_OK(ctx, ctx->allocate_output(2, TensorShape({B, U}), &dc0_out));
    OP_REQUIRES_OK(ctx, ctx->allocate_output(3, TensorShape({I, G}), &dw_out));
    OP_REQUIRES_OK(ctx, ctx->allocate_output(4, TensorShape({U, G}), &dr_out));
    OP_REQUIRES_OK(ctx, ctx->allocate_output(5, TensorShape({G}), &db_out));

    const float* x = ctx->input(0).flat<float>().data();
    const float* h0 = ctx->input(1).flat<float>().data();
    const float* c0 = ctx->input(2).flat<float>().data();
    const float* H = ctx->input(6).flat<float>().data();
    const float* C = ctx->input(7).flat<float>().data();
    const float* Gs = ctx->input(8).flat<float>().data();
    const float* TC = ctx->input(9).flat<float>().data();
    const float* dH = ctx->input(10).flat<float>().data();
    const float* dC = ctx->input(11).flat<float>().data();
    const Saved saved{Gs, TC, C, c0, dH, dC, T, U, G};
    float* dx = dx_out->flat<float>().data();
    float* dh0 = dh0_out->flat<float>().data();
    float* dc0 = dc0_out->flat<float>().data();
    const PackedWeights w(d, ctx->input(3).flat<float>().data(), ctx->input(4).flat<float>().data(),
                          ctx->input(5).flat<float>().data(), true);
    const int64_t K = w.K, Gp = w.Gp, Up = w.Up, Kp = w.Kp;

    const int64_t blocks = B ? BlockCount(ctx, B) : 1;
    // Per block: its weight-gradient sums [K x Gp] then the bias's [Gp], summed in block order.
    const int64_t sums = (K + 1) * Gp;
    // Aligned (and every block's share a multiple of 16 floats): Eigen's vectorised sums into it
    // then take the same path whatever the heap address, so results repeat bit for bit.
    AlignedVector partial(blocks * sums, 0.0f);
    std::fill_n(dh0, B * U, 0.0f);
    std::fill_n(dc0, B * U, 0.0f);
    if (T > 0 && B > 0 && U > 0 && U > kHoistAbove) {
      ForEachBlock(ctx, B, blocks, [&](int64_t block, int64_t r0, int64_t r1) {
        MatrixMap dWR(partial.data() + block * sums, K, Gp);
        Eigen::Map<Eigen::RowVectorXf> db(partial.data() + block * sums + K * Gp, Gp);
        const ConstMatrixMap kernel(w.wr.data(), I, Gp);
        // Per tile: gradients into h_{t-1} and c_{t-1}; the pre-activations' gradients of every
        // step [m * T, Gp] (zero pads); h_{t-1} of every step [m * T, U]; dh_{t-1} from the
        // recurrent product.
        AlignedVector dh_next(kRows * U), dc_next(kRows * U), dg(kRows * T * Gp, 0.0f), h_prev(kRows * T * U),
            back(kRows * Up);
        for (int64_t first = r0; first < r1; first += kRows) {
          const int m = static_cast<int>(std::min<int64_t>(kRows, r1 - first));
          std::fill(dh_next.begin(), dh_next.end(), 0.0f);
          std::fill(dc_next.begin(), dc_next.end(), 0.0f);
          for (int64_t t = T - 1; t >= 0; --t) {
            for (int r = 0; r < m; ++r)
              GateGradients(saved, first + r, t, &dh_next[r * U], &dc_next[r * U], &dg[(r * T + t) * Gp]);
            // dh_{t-1} = dg_t . recurrent_kernel^T: the only product the time loop needs.
            const Factor from_dg{dg.data() + t * Gp, T * Gp, Gp, w.r_t.data()};
            const Factor none{nullptr, 0, 0, nullptr};
            Product(m, from_dg, none, Up, Up, Init{nullptr, 0}, back.data(), Up);
            for (int r = 0; r < m; ++r)
              for (int64_t u = 0; u < U; ++u) dh_next[r * U + u] = back[r * Up + u];
          }
          for (int r = 0; r < m; ++r) {
            const int64_t row = first + r;
            for (int64_t u = 0; u < U; ++u) {
              dh0[row * U + u] = dh_next[r * U + u];
              dc0[row * U + u] = dc_next[r * U + u];
              h_prev[r * T * U + u] = h0[row * U + u];
            }
            for (int64_t j = 0; j < (T - 1) * U; ++j) h_prev[r * T * U + U + j] = H[row * T * U + j];
          }
          // Everything else over all steps at once, as GEMMs over the tile's rows (contiguous
          // [m * T, .] blocks of x and dx): dx, and the weight and bias gradients.
          const ConstMatrixMap dgs(dg.data(), m * T, Gp);
          const ConstMatrixMap xs(x + first * T * I, m * T, I);
          MatrixMap(dx + first * T * I, m * T, I).noalias() = dgs * kernel.transpose();
          dWR.topRows(I).noalias() += xs.transpose() * dgs;
          dWR.bottomRows(U).noalias() += ConstMatrixMap(h_prev.data(), m * T, U).transpose() * dgs;
          db += dgs.colwise().sum();
        }
      });
    } else if (T > 0 && B > 0 && U > 0) {
      ForEachBlock(ctx, B, blocks, [&](int64_t block, int64_t r0, int64_t r1) {
        float* __restrict dWR = partial.data() + block * sums;
        float* __restrict db = dWR + K * Gp;
        // Per tile: gradients into h_{t-1} and c_{t-1}, the pre-activations' gradients (padded
        // with zeros), and [dx_t, dh_{t-1}] from the transposed product.
        AlignedVector dh_next(kRows * U), dc_next(kRows * U), dg(kRows * Gp, 0.0f), back(kRows * Kp);
        for (int64_t first = r0; first < r1; first += kRows) {
          const int m = static_cast<int>(std::min<int64_t>(kRows, r1 - first));
          std::fill(dh_next.begin(), dh_next.end(), 0.0f);
          std::fill(dc_next.begin(), dc_next.end(), 0.0f);
          for (int64_t t = T - 1; t >= 0; --t) {
            for (int r = 0; r < m; ++r)
              GateGradients(saved, first + r, t, &dh_next[r * U], &dc_next[r * U], &dg[r * Gp]);
            // [dx_t, dh_{t-1}] = dg . [kernel; recurrent_kernel]^T
            const Factor from_dg{dg.data(), Gp, Gp, w.wr_t.data()};
            const Factor none{nullptr, 0, 0, nullptr};
            Product(m, from_dg, none, Kp, Kp, Init{nullptr, 0}, back.data(), Kp);
            for (int r = 0; r < m; ++r) {
              float* __restrict dxt = dx + ((first + r) * T + t) * I;
              for (int64_t k = 0; k < I; ++k) dxt[k] = back[r * Kp + k];
              for (int64_t u = 0; u < U; ++u) dh_next[r * U + u] = back[r * Kp + I + u];
            }
            // Weight gradients: x_t^T . dg and h_{t-1}^T . dg (read in place); the bias's: sum dg.
            Outer(m, x + (first * T + t) * I, T * I, I, dg.data(), Gp, Gp, dWR, Gp);
            if (t)
              Outer(m, H + (first * T + t - 1) * U, T * U, U, dg.data(), Gp, Gp, dWR + I * Gp, Gp);
            else
              Outer(m, h0 + first * U, U, U, dg.data(), Gp, Gp, dWR + I * Gp, Gp);
            for (int r = 0; r < m; ++r)
              for (int64_t j = 0; j < Gp; ++j) db[j] += dg[r * Gp + j];
          }
          for (int r = 0; r < m; ++r) {
            std::memcpy(dh0 + (first + r) * U, &dh_next[r * U], U * sizeof(float));
            std::memcpy(dc0 + (first + r) * U, &dc_next[r * U], U * sizeof(float));
          }
        }
      });
    } else {
      std::fill_n(dx, B * T * I, 0.0f);
    }
    // Sum the blocks' partial sums in block order, dropping the padding.
    std::vector<float> total(sums, 0.0f);
    for (int64_t block = 0; block < blocks; ++block)
      for (int64_t j = 0; j < sums; ++j) total[j] += partial[block * sums + j];
    float* dW = dw_out->flat<float>().data();
    float* dR = dr_out->flat<float>().data();
    float* db = db_out->flat<float>().data();
    for (int64_t k = 0; k < I; ++k) std::memcpy(dW + k * G, &total[k * Gp], G * sizeof(float));
    for (int64_t k = 0; k < U; ++k) std::memcpy(dR + k * G, &total[(I + k) * Gp], G * sizeof(float));
    std::memcpy(db, &total[K * Gp], G * sizeof(float));
  }
};

static absl::Status ForwardShapes(InferenceContext* c) {
  ShapeHandle x, recurrent;
  TF_RETURN_IF_ERROR(c->WithRank(c->input(0), 3, &x));
  TF_RETURN_IF_ERROR(c->WithRank(c->input(4), 2, &recurrent));
  DimensionHandle batch = c->Dim(x, 0), time = c->Dim(x, 1), units = c->Dim(recurrent, 0), gates;
  TF_RETURN_IF_ERROR(c->Multiply(units, 4, &gates));
  ShapeHandle state = c->MakeShape({batch, time, units});
  c->set_output(0, state);
  c->set_output(1, state);
  c->set_output(2, c->MakeShape({batch, time, gates}));
  c->set_output(3, state);
  return absl::OkStatus();
}

static absl::Status GradShapes(InferenceContext* c) {
  for (int i = 0; i < 6; ++i) c->set_output(i, c->input(i));
  return absl::OkStatus();
}

REGISTER_OP("LensLstm")
    .Input("x: float")
    .Input("h0: float")
    .Input("c0: float")
    .Input("kernel: float")
    .Input("recurrent_kernel: float")
    .Input("bias: float")
    .Output("h: float")
    .Output("c: float")
    .Output("gates: float")
    .Output("tanh_c: float")
    .SetShapeFn(ForwardShapes)
    .Doc("Keras-compatible LSTM over a whole batch-major sequence (LSTM Lens).");

REGISTER_OP("LensLstmGrad")
    .Input("x: float")
    .Input("h0: float")
    .Input("c0: float")
    .Input("kernel: float")
    .Input("recurrent_kernel: float")
    .Input("bias: float")
    .Input("h: float")
    .Input("c: float")
    .Input("gates: float")
    .Input("tanh_c: float")
    .Input("dh: float")
    .Input("dc: float")
    .Output("dx: float")
    .Output("dh0: float")
    .Output("dc0: float")
    .Output("dkernel: float")
    .Output("drecurrent_kernel: float")
    .Output("dbias: float")
    .SetShapeFn(GradShapes)
    .Doc("Gradient of LensLstm with respect to its six inputs.");

REGISTER_KERNEL_BUILDER(Name("LensLstm").Device(tensorflow::DEVICE_CPU), LensLstmOp);
REGISTER_KERNEL_BUILDER(Name("LensLstmGrad").Device(tensorflow::DEVICE_CPU), LensLstmGradOp);

}  // namespace lens
