//! `idwallet-prepare-model IN.onnx OUT.nnef.tar N,C,H,W` — run by `models/fetch.sh`.

use anyhow::{bail, Context, Result};

fn main() -> Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [input, output, shape] = args.as_slice() else {
        bail!("usage: idwallet-prepare-model IN.onnx OUT.nnef.tar N,C,H,W");
    };
    let shape: Vec<usize> =
        shape.split(',').map(str::parse).collect::<Result<_, _>>().context("the shape is comma-separated sizes")?;
    let onnx = std::fs::read(input).with_context(|| format!("reading {input}"))?;
    let nnef = idwallet_models::prepare(&onnx, &shape)?;
    // Written beside and renamed, so an interrupted run never leaves half a model.
    let part = format!("{output}.part");
    std::fs::write(&part, &nnef).with_context(|| format!("writing {part}"))?;
    std::fs::rename(&part, output).with_context(|| format!("writing {output}"))?;
    Ok(())
}
