"""Kokoro-82M in PyTorch, with the weights of the int8 ONNX model that `kokoro_engine` runs.

onnxruntime speaks little more than real time on a CPU core; the same network in PyTorch
runs on a GPU many times faster. The network code is the `kokoro` package's (`KModel`,
version 0.9.4, installed without its dependencies by scripts/setup.sh); the weights are
converted once from the ONNX file, so both engines speak with the same voice:

- the file is dynamically quantized: a weight is stored as `<name>_quantized` (int8 or
  uint8) with `<name>_scale` (per tensor, or per output channel) and a zero point, and is
  dequantized as (q − zero point) × scale. Equal zero points were merged into one
  tensor, so a weight's zero point is read from the node that consumes it;
- biases and norms keep their module's name (`encoder.predictor.…`, `decoder.decoder.…`),
  but weight-normed convolutions were folded into anonymous tensors
  (`/decoder/decoder/decode.0/Mul_output_0`) and linear weights were stored transposed
  under `onnx::MatMul_…` names. Those are found through the node that consumes them,
  whose name carries the module's scope (`/decoder/decoder/decode.0/conv1/Conv_quant`);
- LSTM weights are in ONNX's layout ([directions, input, 4 × hidden], gates i, o, f, c)
  and are reordered to PyTorch's (i, f, g, o), one direction at a time.

Weight norm is removed from the model before loading (the folded weight is what it
computed), and every parameter and buffer of the model must be assigned exactly once,
with the shape the model expects. The converted weights are cached as float32
safetensors beside the ONNX file (325 MB), keyed by its sha256, so the conversion runs once.

Two differences remain, neither of which the demo corpus hears: the ONNX export's inverse
STFT skips the overlap-add normalisation, so its audio is about 1.45 times (3 dB) louder
than KModel's `torch.istft` (the corpus sets every clip's peak level itself), and
onnxruntime quantizes activations to 8 bits, which moves a rare token's duration by one
frame (25 ms).
"""

import hashlib
import importlib
import importlib.util
import io
import re
import sys
import threading
import types
import warnings
from pathlib import Path

import numpy as np
import torch

from voxtune.errors import InputError
from voxtune.files import atomic_path

# Kokoro-82M v1.0's config.json, less its vocabulary (read with the voices)
CONFIG = {
    "n_token": 178, "hidden_dim": 512, "style_dim": 128, "n_layer": 3, "max_dur": 50,
    "dropout": 0.2, "text_encoder_kernel_size": 5, "n_mels": 80, "dim_in": 64,
    "max_conv_dim": 512, "multispeaker": True,
    "plbert": {"hidden_size": 768, "num_attention_heads": 12, "intermediate_size": 2048,
               "max_position_embeddings": 512, "num_hidden_layers": 12, "dropout": 0.1},
    "istftnet": {"upsample_kernel_sizes": [20, 12], "upsample_rates": [10, 6],
                 "gen_istft_hop_size": 5, "gen_istft_n_fft": 20,
                 "resblock_dilation_sizes": [[1, 3, 5], [1, 3, 5], [1, 3, 5]],
                 "resblock_kernel_sizes": [3, 7, 11], "upsample_initial_channel": 512},
}
KOKORO_PACKAGE = "kokoro==0.9.4"
# ONNX scope or name prefix → KModel name prefix, first match wins. The exporter's wrapper
# held the model as `encoder` and its decoder as `decoder.decoder`, and traced the
# predictor's F0/N branches and its shared LSTM outside the predictor's scope.
_SCOPES = (("/encoder/F0", "predictor/F0"), ("/encoder/N", "predictor/N"),
           ("/encoder/shared/", "predictor/shared/"), ("/encoder/", ""),
           ("/decoder/decoder/", "decoder/"))
_NAMES = (("encoder.", ""), ("decoder.decoder.", "decoder."))
# quantized weights (read through their nodes) and the quantizer's shape constants
_QUANTIZER = ("_quantized", "_scale", "_zero_point", "_reshape_shape")
# the ONNX model's own inverse STFT, which KModel computes with torch.istft
_ONNX_ONLY = ("decoder.decoder.generator.stft.istft.",)
# ALBERT's index buffers, which the model builds (they are not in its state dict) and the
# ONNX file holds as constants, by the node that slices them: checked to be equal
_BUFFERS = {"/encoder/bert/embeddings/Slice": "bert.embeddings.position_ids",
            "/encoder/bert/Slice": "bert.embeddings.token_type_ids"}
# ONNX gate blocks (i, o, f, c) in PyTorch's order (i, f, g, o)
_LSTM_GATES = (0, 2, 3, 1)


def load_kokoro(onnx_path: Path, vocab: dict[str, int], device: str) -> torch.nn.Module:
    """KModel with the weights of `onnx_path` (converted on first use), in eval mode on
    `device`. Call `model.forward_with_tokens(ids [1, T + 2], ref_s [1, 256], speed)`:
    (audio at 24 kHz, durations in frames of 600 samples per token)."""
    weights = converted_weights(onnx_path)
    from safetensors.torch import load_file

    model = build_model(vocab)
    model.load_state_dict(load_file(weights), strict=True)
    generator = model.decoder.generator
    generator.m_source = SeededSource(generator.m_source)
    return model.to(device).eval()


class SeededSource(torch.nn.Module):
    """Kokoro's harmonic source (`SourceModuleHnNSF`) drawing its random initial phases and
    noise from a fixed seed, so that the same input gives the same audio whichever thread
    calls and whatever ran before, as with the ONNX model (whose export left the noise
    out). The source is the model's only use of randomness; a lock keeps the seeded draws
    of concurrent calls apart, and the process's random state is restored after them."""

    SEED = 0
    _lock = threading.Lock()

    def __init__(self, source: torch.nn.Module) -> None:
        super().__init__()
        self.source = source

    def forward(self, f0: torch.Tensor) -> tuple[torch.Tensor, ...]:
        devices = [f0.device] if f0.device.type == "cuda" else []
        with self._lock, torch.random.fork_rng(devices=devices, device_type="cuda"):
            torch.manual_seed(self.SEED)
            return self.source(f0)


def build_model(vocab: dict[str, int]) -> torch.nn.Module:
    """An untrained KModel of Kokoro-82M's shape, as the converted weights expect it:
    weight norm removed (the ONNX file holds the folded weights) and without ALBERT's
    pooler (Kokoro never reads it, and the ONNX file does not hold it)."""
    kmodel = _kmodel_class()
    empty = io.BytesIO()
    torch.save({}, empty)
    empty.seek(0)
    with warnings.catch_warnings():
        # torch's deprecation of the old weight_norm, and dropout on one-layer LSTMs
        warnings.simplefilter("ignore", FutureWarning)
        warnings.simplefilter("ignore", UserWarning)
        # an empty checkpoint: KModel builds its modules and downloads nothing
        model = kmodel(repo_id="hexgrad/Kokoro-82M", config={**CONFIG, "vocab": vocab},
                       model=empty)
    for module in model.modules():
        if hasattr(module, "weight_g"):
            torch.nn.utils.remove_weight_norm(module)
    model.bert.pooler = model.bert.pooler_activation = None
    return model


def converted_weights(onnx_path: Path) -> Path:
    """The safetensors file of `onnx_path`'s weights in KModel's names: made on first use
    (a few seconds), then read from beside the ONNX file."""
    digest = hashlib.sha256()
    with open(onnx_path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 24), b""):
            digest.update(block)
    target = onnx_path.with_name(f"{onnx_path.stem}.torch-{digest.hexdigest()[:16]}"
                                 ".safetensors")
    if not target.is_file():
        from safetensors.torch import save_file

        with atomic_path(target) as tmp:
            save_file(convert_onnx(onnx_path, build_model({})), str(tmp))
    return target


def convert_onnx(onnx_path: Path, model: torch.nn.Module) -> dict[str, torch.Tensor]:
    """Every parameter and buffer of `model` (from `build_model`) read from the ONNX file.

    Raises `ValueError` naming the tensor when one is missing, assigned twice, of the wrong
    shape, or left over in the file.
    """
    try:
        import onnx
        from onnx import numpy_helper
    except ImportError as error:
        raise InputError("converting Kokoro's ONNX weights needs the onnx package: install "
                         "voxtune's pinned dependencies (bash scripts/setup.sh)") from error
    graph = onnx.load(str(onnx_path)).graph
    tensors = {init.name: numpy_helper.to_array(init) for init in graph.initializer}
    expected = model.state_dict()
    out = _Assigned(expected)
    used: set[str] = set()
    consumers: dict[str, list] = {}
    for node in graph.node:
        for name in node.input:
            consumers.setdefault(name, []).append(node)
    for node in graph.node:
        weights = _node_weights(node, tensors, consumers)
        if weights is None:
            continue
        module = _module_of(node.name, model)
        for suffix, (source, value) in weights.items():
            key = f"{module}.{suffix}"
            named = _renamed(source.removesuffix("_quantized"), _NAMES, ".")
            if named not in (None, key):  # the scope and the name must tell the same
                raise ValueError(f"ONNX tensor {source!r} is named for {named!r} but is "
                                 f"read by node {node.name!r} of {module!r}")
            out.set(key, value, source)
            used.add(source)
    for name, value in tensors.items():
        if name in used or name.endswith(_QUANTIZER) or name.startswith(_ONNX_ONLY):
            continue
        key = _renamed(name, _NAMES, ".")
        if key is not None:
            out.set(key, torch.from_numpy(value.copy()), name)
    buffers = dict(model.named_buffers())
    for node in graph.node:
        key = _BUFFERS.get(node.name)
        if key and not np.array_equal(buffers[key].numpy(), tensors[node.input[0]]):
            raise ValueError(f"KModel's {key!r} differs from the ONNX file's {node.input[0]!r}")
    for name, module in model.named_modules():
        # Kokoro 0.9.4 gives AdaIN's instance norm an affine transform, for its own ONNX
        # export; the network was trained, and this file exported, without one: identity
        if isinstance(module, torch.nn.InstanceNorm1d):
            out.set(f"{name}.weight", torch.ones_like(module.weight), "identity")
            out.set(f"{name}.bias", torch.zeros_like(module.bias), "identity")
    quantized = {n[:-len("_quantized")] for n in tensors if n.endswith("_quantized")}
    unread = sorted(n for n in quantized if f"{n}_quantized" not in used)
    missing = sorted(set(expected) - set(out.tensors))
    if unread or missing:
        raise ValueError(f"Kokoro's ONNX weights do not map onto KModel: {len(missing)} "
                         f"tensors unassigned ({missing[:3]}), {len(unread)} quantized "
                         f"weights unread ({unread[:3]})")
    return out.tensors


class _Assigned:
    """The converted state dict, which refuses a second value or a wrong shape."""

    def __init__(self, expected: dict[str, torch.Tensor]) -> None:
        self.expected = expected
        self.tensors: dict[str, torch.Tensor] = {}
        self.sources: dict[str, str] = {}

    def set(self, key: str, value: torch.Tensor, source: str) -> None:
        if key not in self.expected:
            raise ValueError(f"ONNX tensor {source!r} maps to {key!r}, which KModel lacks")
        if self.sources.get(key, source) != source:
            raise ValueError(f"{key!r} is assigned twice: from {self.sources[key]!r} and "
                             f"{source!r}")
        if tuple(value.shape) != tuple(self.expected[key].shape):
            raise ValueError(f"ONNX tensor {source!r} has shape {tuple(value.shape)}; KModel's "
                             f"{key!r} has {tuple(self.expected[key].shape)}")
        # shared modules (ALBERT's one layer, run 12 times) bring the same tensor again
        self.tensors[key] = value.to(self.expected[key].dtype).contiguous()
        self.sources[key] = source


def _node_weights(node, tensors: dict[str, np.ndarray], consumers: dict[str, list]
                  ) -> dict[str, tuple[str, torch.Tensor]] | None:
    """{parameter name within the node's module: (ONNX source, value)} for a node that
    holds a module's weights; None for the others."""
    inputs = list(node.input) + [""] * 11
    weight = inputs[1] if node.op_type != "Gather" else inputs[0]
    if weight not in tensors or weight.startswith(_ONNX_ONLY):
        return None
    if node.op_type == "ConvInteger":
        value = _dequantized(tensors, weight, inputs[3], axis=0)
    elif node.op_type == "MatMulInteger":
        value = _dequantized(tensors, weight, inputs[3], axis=-1).T
    elif node.op_type in ("Conv", "ConvTranspose"):
        value = tensors[weight]
    elif node.op_type == "MatMul":
        value = tensors[weight].T
    elif node.op_type == "Gather" and weight.endswith("_quantized"):
        dequantize = consumers[node.output[0]][0]
        value = _dequantized(tensors, weight, dequantize.input[2], axis=0,
                             scale=dequantize.input[1])
    elif node.op_type == "DynamicQuantizeLSTM":
        return _lstm_weights(tensors, inputs)
    else:
        return None
    return {"weight": (weight, torch.from_numpy(np.array(value, dtype=np.float32)))}


def _lstm_weights(tensors: dict[str, np.ndarray], inputs: list[str]
                  ) -> dict[str, tuple[str, torch.Tensor]]:
    """A bidirectional LSTM's parameters from DynamicQuantizeLSTM's inputs: X, then W and R
    [directions, input, 4 × hidden] (int8), B [directions, 8 × hidden] (input, then
    recurrent biases), and after the lengths, initial states and peepholes, W's scale and
    zero point (8, 9) and R's (10, 11)."""
    w = _dequantized(tensors, inputs[1], inputs[9], axis=0, scale=inputs[8])
    r = _dequantized(tensors, inputs[2], inputs[11], axis=0, scale=inputs[10])
    b = tensors[inputs[3]]
    hidden = r.shape[1]

    def gates(matrix: np.ndarray) -> torch.Tensor:
        blocks = np.split(matrix, 4)
        return torch.from_numpy(np.concatenate([blocks[i] for i in _LSTM_GATES]).copy())

    out = {}
    for direction, suffix in enumerate(("l0", "l0_reverse")):
        out[f"weight_ih_{suffix}"] = (inputs[1], gates(w[direction].T))
        out[f"weight_hh_{suffix}"] = (inputs[2], gates(r[direction].T))
        out[f"bias_ih_{suffix}"] = (inputs[3], gates(b[direction, :4 * hidden]))
        out[f"bias_hh_{suffix}"] = (inputs[3], gates(b[direction, 4 * hidden:]))
    return out


def _dequantized(tensors: dict[str, np.ndarray], name: str, zero_point: str, axis: int,
                 scale: str = "") -> np.ndarray:
    """(q − zero point) × scale in float32; a per-channel scale runs along `axis`."""
    q = tensors[name].astype(np.float32)
    scale_value = tensors[scale or name[:-len("_quantized")] + "_scale"].astype(np.float32)
    offset = tensors[zero_point].astype(np.float32)
    shape = [1] * q.ndim
    shape[axis] = -1
    if scale_value.size > 1:
        scale_value = scale_value.reshape(shape)
    if offset.size > 1:
        offset = offset.reshape(shape)
    return (q - offset) * scale_value


def _module_of(node_name: str, model: torch.nn.Module) -> str:
    """KModel's name of the module a node belongs to, from the scope in the node's name:
    '/encoder/text_encoder/cnn.0/cnn.0.0/Conv_quant' → 'text_encoder.cnn.0.0',
    '/encoder/bert/…/attention/query_3/MatMul_quant' (ALBERT's 4th pass) → '….query'."""
    scope = _renamed(node_name.rsplit("/", 1)[0] + "/", _SCOPES, "/")
    if scope is None:
        raise ValueError(f"ONNX node {node_name!r} holds weights outside Kokoro's modules")
    path: list[str] = []
    for part in filter(None, scope.split("/")):
        if path and part.startswith(path[-1] + "."):  # Sequential children: cnn.0/cnn.0.0
            part = part[len(path[-1]) + 1:]
        for candidate in (part, re.sub(r"_\d+$", "", part)):  # repeated calls: query_3
            if _has_module(model, ".".join([*path, candidate])):
                path.append(candidate)
                break
        else:
            raise ValueError(f"ONNX node {node_name!r}: KModel has no module "
                             f"{'.'.join([*path, part])!r}")
    return ".".join(path)


def _has_module(model: torch.nn.Module, name: str) -> bool:
    try:
        model.get_submodule(name)
    except AttributeError:
        return False
    return True


def _renamed(name: str, prefixes: tuple[tuple[str, str], ...], separator: str) -> str | None:
    for onnx_prefix, torch_prefix in prefixes:
        if name.startswith(onnx_prefix):
            return (torch_prefix + name[len(onnx_prefix):]).replace("/", separator)
    return None


def _kmodel_class() -> type:
    """`kokoro.model.KModel` without running the package's `__init__`, which imports its
    G2P pipeline (misaki[en], spaCy, espeak-ng loaders) that voxtune neither uses nor
    installs: a bare package module stands in for `kokoro`, so that only the network
    modules (model, istftnet, modules, custom_stft) are imported."""
    if "kokoro" not in sys.modules:
        spec = importlib.util.find_spec("kokoro")
        if spec is None or not spec.submodule_search_locations:
            raise InputError(f"the Kokoro engine on a GPU needs the kokoro package: pip "
                             f"install --no-deps {KOKORO_PACKAGE} (or bash scripts/setup.sh)")
        package = types.ModuleType("kokoro")
        package.__path__ = list(spec.submodule_search_locations)
        sys.modules["kokoro"] = package
        from loguru import logger

        logger.disable("kokoro")  # as the package's __init__ does
    return importlib.import_module("kokoro.model").KModel
