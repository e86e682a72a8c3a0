"""swiftnn.models: whole models implemented in the engine (swiftnn/caption.h: ImageCaptioner)."""
from .captioner import BOS, EOS, PAD, SPECIALS, UNK, ImageCaptioner, bleu  # noqa: F401
