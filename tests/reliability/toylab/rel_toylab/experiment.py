"""What `harness run lab-00` runs for the toy lab."""


def run(out_dir, seed, entry, progress, steps=None):
    steps = steps or 3
    loss = entry.train(steps)
    progress({"step": steps, "loss": loss})
    return {"metrics": {"loss": float(loss)}, "config": {"steps": steps}}
