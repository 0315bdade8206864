"""A Keras ``LSTM`` that runs the whole sequence as ONE TensorFlow op when it can.

Keras' own LSTM on CPU runs its time loop as a ``while`` loop of small ops (a dozen per step
and layer, forward and backward): at the tutorial's size (rnn_unit 10, time_step 90) the cost
is op dispatch, not arithmetic. XLA fuses that loop but takes seconds to compile. A fused
whole-sequence kernel runs one op per layer in a plain ``tf.function`` (no compile). Two:

* ``"native"``: LSTM Lens' own kernel (``model.native``, compiled on this machine), on Keras'
  weights and batch-major tensors as they are; the fastest (``make bench`` times both). Used when built.
* ``"block"``: TensorFlow's ``tf.raw_ops.BlockLSTM`` (CPU kernel and gradient shipped with
  TensorFlow), with the weights re-laid out on the fly; the fallback without a compiler.

``FusedLSTM`` IS a ``keras.layers.LSTM``: same constructor, config, ``cell`` and weights
(``cell.kernel`` [in, 4u], ``cell.recurrent_kernel`` [u, 4u], ``cell.bias`` [4u], Keras' gate
order i, f, c, o), so saving, the shape trace (which reads ``layer.cell``) and the TF1
equivalence check see exactly what they saw before. Only ``call`` differs: when the input
allows it (TensorFlow backend, no mask, no dropout inside the layer while training, Keras'
default activations, ...) it runs one of the fused ops (the native one on Keras' weights as they
are, BlockLSTM on weights mapped to its layout on the fly), otherwise it is Keras' LSTM unchanged.

BlockLSTM's mapping (checked against Keras' LSTM, forward and gradients, in tests/model/test_fused_lstm.py):
  * BlockLSTM's weight is one [in + u, 4u] matrix: the kernel stacked on the recurrent kernel;
  * its gate blocks are in the order i, c, f, o (Keras: i, f, c, o), the bias likewise;
  * ``forget_bias=0.0``: Keras keeps the forget gate's +1 inside the bias vector;
  * ``cell_clip=-1``: BlockLSTM clips the cell state to +-3 by default; Keras does not clip.
Not ``tf.raw_ops.BlockLSTMV2``: its forward pass takes Keras' gate order, but its registered
CPU gradient in TF 2.21 disagrees with finite differences, so training through it would
silently follow wrong gradients.

Neither op has an XLA kernel. A model that contains this layer must not be compiled with
``jit_compile=True`` while the fast path is on; ``use_fused = False`` (a run-time switch, not
saved) turns the layer back into Keras' loop, which XLA can compile.
"""

from __future__ import annotations

import keras

FUSED_KERNELS = ("native", "block")


def best_fused_kernel() -> str:
    """The fastest fused kernel available in this process: "native" when built, else "block"."""
    from model import native

    return "native" if native.available() else "block"


# Keras' gate blocks are i, f, c, o; BlockLSTM's are i, c, f, o: swap the middle two.
BLOCK_ORDER = (0, 2, 1, 3)


def block_lstm_weights(kernel, recurrent_kernel, bias):
    """Keras LSTM weights -> BlockLSTM's (w [in + u, 4u], b [4u]); works on tensors and numpy arrays."""
    import tensorflow as tf

    stacked = tf.concat([kernel, recurrent_kernel], axis=0)
    w = tf.concat([tf.split(stacked, 4, axis=1)[k] for k in BLOCK_ORDER], axis=1)
    b = tf.concat([tf.split(bias, 4, axis=0)[k] for k in BLOCK_ORDER], axis=0)
    return w, b


def block_lstm(sequences, h0, c0, kernel, recurrent_kernel, bias):
    """Run an LSTM over batch-major ``sequences`` [batch, time, in] with Keras weights.

    Returns (outputs [batch, time, u], h_T [batch, u], c_T [batch, u]), as Keras' LSTM with
    return_sequences=True and return_state=True does.
    """
    import tensorflow as tf

    w, b = block_lstm_weights(kernel, recurrent_kernel, bias)
    x = tf.transpose(sequences, [1, 0, 2])  # BlockLSTM is time-major
    time = tf.shape(x, out_type=tf.int64)[0]
    units = tf.shape(b)[0] // 4
    peephole = tf.zeros([units], dtype=x.dtype)  # unused (use_peephole=False), but required inputs
    _i, cs, _f, _o, _ci, _co, h = tf.raw_ops.BlockLSTM(
        seq_len_max=time,
        x=x,
        cs_prev=c0,
        h_prev=h0,
        w=w,
        wci=peephole,
        wcf=peephole,
        wco=peephole,
        b=b,
        forget_bias=0.0,
        cell_clip=-1.0,
        use_peephole=False,
    )
    return tf.transpose(h, [1, 0, 2]), h[-1], cs[-1]


@keras.saving.register_keras_serializable(package="lstm_lens")
class FusedLSTM(keras.layers.LSTM):
    """``keras.layers.LSTM`` with a fused whole-sequence kernel on the TensorFlow backend.

    Same arguments, weights and config as ``keras.layers.LSTM``; registered so that
    ``keras.saving.load_model(..., safe_mode=True)`` rebuilds it.
    """

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Run-time switches (not part of the config): False = Keras' own loop, e.g. under XLA;
        # which fused kernel (None: the best available, see best_fused_kernel()).
        self.use_fused = True
        self.kernel_choice: str | None = None

    def fused_kernel(self) -> str:
        """The fused kernel ``call`` uses: the chosen one, else native when built, else block."""
        return self.kernel_choice or best_fused_kernel()

    def fused_applies(self, mask=None, training=False) -> bool:
        """Whether ``call`` can use a fused op for this input (else it is Keras' LSTM)."""
        cell = self.cell
        return (
            self.use_fused
            and keras.backend.backend() == "tensorflow"
            and mask is None
            and not (self.stateful or self.go_backwards or self.unroll)
            and cell.use_bias
            and cell.activation is keras.activations.tanh
            and cell.recurrent_activation is keras.activations.sigmoid
            and self.compute_dtype == "float32"
            and not (training and (cell.dropout > 0 or cell.recurrent_dropout > 0))
        )

    def call(self, sequences, initial_state=None, mask=None, training=False):
        if not self.fused_applies(mask, training):
            return super().call(sequences, initial_state=initial_state, mask=mask, training=training)
        import tensorflow as tf

        sequences = tf.convert_to_tensor(sequences, dtype=self.compute_dtype)
        if initial_state is None:
            batch = tf.shape(sequences)[0]
            h0 = c0 = tf.zeros([batch, self.cell.units], dtype=sequences.dtype)
        else:
            h0, c0 = (tf.convert_to_tensor(s, dtype=sequences.dtype) for s in initial_state)
        cell = self.cell
        if self.fused_kernel() == "native":
            from model import native

            outputs, cs = native.lstm_sequence(
                sequences, h0, c0, cell.kernel, cell.recurrent_kernel, cell.bias
            )
            h, c = outputs[:, -1], cs[:, -1]
        else:
            outputs, h, c = block_lstm(sequences, h0, c0, cell.kernel, cell.recurrent_kernel, cell.bias)
        output = outputs if self.return_sequences else h
        if self.return_state:
            return output, h, c
        return output
