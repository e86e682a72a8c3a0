"""swiftnn.models: whole models implemented in the engine — CharRNN (swiftnn/charrnn.h) and
ImageCaptioner (swiftnn/caption.h)."""
from .captioner import BOS, EOS, PAD, SPECIALS, UNK, ImageCaptioner, bleu  # noqa: F401
from .charrnn import CharRNN  # noqa: F401
