"""Small builders shared by the engine tests."""

from model.config import LstmConfig


def make_config(rnn_unit=10, layer_num=2, time_step=20, input_size=6, share_cell=False, **kw) -> LstmConfig:
    """A config with ``input_size`` anonymous feature columns (f0, f1, ...)."""
    return LstmConfig(
        rnn_unit=rnn_unit,
        layer_num=layer_num,
        time_step=time_step,
        features=tuple(f"f{i}" for i in range(input_size)),
        share_cell=share_cell,
        **kw,
    )
