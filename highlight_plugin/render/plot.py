"""The saliency curve of a video with its chosen segments shaded."""
import numpy as np

from ..engine.fileio import atomic_path


def plot_saliency(scores, clip_len, segments, out_path, title=None):
    import matplotlib
    matplotlib.use('Agg')
    import matplotlib.pyplot as plt

    times = np.arange(len(scores)) * clip_len
    fig, ax = plt.subplots(figsize=(12, 3.2), dpi=100)
    ax.plot(times, scores, color='#1f77b4', lw=1.2, label='saliency')
    for i, seg in enumerate(segments):
        ax.axvspan(seg['start'], seg['end'], color='#ff7f0e', alpha=0.3, label='highlight' if i == 0 else None)
        ax.text((seg['start'] + seg['end']) / 2, 1.01, str(i + 1), ha='center', va='bottom', fontsize=8,
                transform=ax.get_xaxis_transform())
    ax.set_xlim(0, max(len(scores) * clip_len, 1e-6))
    ax.set_xlabel('time (s)')
    ax.set_ylabel('score')
    if title:
        ax.set_title(title, fontsize=10, pad=14)
    ax.legend(loc='upper right', fontsize=8)
    fig.tight_layout()
    try:
        with atomic_path(out_path) as tmp:
            fig.savefig(tmp, format='png')
    finally:
        plt.close(fig)
    return out_path
