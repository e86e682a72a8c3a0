"""swiftnn.models: whole models implemented in the engine — CharRNN (swiftnn/charrnn.h),
ImageCaptioner (swiftnn/caption.h) and Seq2Seq (swiftnn/seq2seq.h)."""
from .captioner import BOS, EOS, PAD, SPECIALS, UNK, ImageCaptioner, bleu  # noqa: F401
from .charrnn import CharRNN  # noqa: F401
from .seq2seq import Seq2Seq  # noqa: F401
