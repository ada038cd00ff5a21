"""Convolution algorithms side by side: which one the cost model picks per shape, and the
float32 error of each against a float64 reference (max |error| / max |output|).

Run: python examples/conv_algorithms.py   (torch's own error is shown when torch is installed)
"""
import numpy as np

from contract.nn import conv_algo, conv_tiles, fft_conv, winograd

CASES = [((4, 16, 64, 64), (32, 16, 3, 3), 1), ((2, 64, 56, 56), (64, 64, 3, 3), 1),
         ((2, 32, 32, 32), (32, 32, 5, 5), 2)]
TILES = {3: [(2, 2), (4, 1), (4, 4)], 5: [(2, 2)]}


def error(y, ref):
    return float(np.abs(y.astype(np.float64) - ref).max() / np.abs(ref).max())


def torch_error(x, w, pad, ref):
    try:
        import torch
    except ImportError:
        return None
    y = torch.nn.functional.conv2d(torch.from_numpy(x), torch.from_numpy(w), padding=pad)
    return error(y.numpy(), ref)


def main():
    rng = np.random.default_rng(0)
    for xs, ws, pad in CASES:
        x = rng.standard_normal(xs).astype(np.float32)
        w = (rng.standard_normal(ws) / np.sqrt(np.prod(ws[1:]))).astype(np.float32)
        k, pairs = ws[2], ((pad, pad), (pad, pad))
        geo = conv_tiles.Geometry((k, k), (1, 1), pairs, (1, 1), 1)
        ref = conv_tiles.forward(np, x.astype(np.float64), w.astype(np.float64), geo)
        found = {"im2col": error(conv_tiles.forward(np, x, w, geo), ref)}
        for tiles in TILES[k]:
            spec = winograd.Spec.of((k, k), pairs, 1, tiles)
            found["F%s" % "x".join(map(str, tiles))] = error(winograd.winograd_conv(np, x, w, spec),
                                                            ref)
        spec = fft_conv.FFTSpec.of((k, k), pairs, (1, 1), 1)
        found["fft"] = error(fft_conv.fft_conv(np, x, w, spec), ref)
        theirs = torch_error(x, w, pad, ref)
        if theirs is not None:
            found["torch"] = theirs
        picked = conv_algo.pick(np, x, w, geo)
        name = "im2col" if picked is None else picked.name + " " + "x".join(
            map(str, getattr(picked.spec, "tiles", ())))
        shape = f"{'x'.join(map(str, xs))} * {'x'.join(map(str, ws))} p{pad}"
        print(f"{shape}: picks {name.strip()}")
        print("   " + "  ".join(f"{key} {value:.1e}" for key, value in found.items()))


if __name__ == "__main__":
    main()
