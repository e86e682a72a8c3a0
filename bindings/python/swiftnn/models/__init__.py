"""swiftnn.models: whole models implemented in the engine — CharRNN (swiftnn/charrnn.h),
ImageCaptioner (swiftnn/caption.h), Seq2Seq (swiftnn/seq2seq.h) and the zoo's pretrained
MobileNetV2 (swiftnn/zoo.h; torchvision's names: mobilenet_v2, MobileNet_V2_Weights,
feature_extraction.create_feature_extractor) and neural style transfer (swiftnn/style.h:
style_transfer, style_loss)."""
from .captioner import BOS, EOS, PAD, SPECIALS, UNK, ImageCaptioner, bleu  # noqa: F401
from .charrnn import CharRNN  # noqa: F401
from .seq2seq import Seq2Seq  # noqa: F401
from .mobilenet import (ImageClassification, InvertedResidual, MobileNet_V2_Weights, MobileNetV2,  # noqa: F401
                        imagenet_categories, load_torch_state_dict, mobilenet_v2)
from . import feature_extraction  # noqa: F401
from .style import style_loss, style_transfer  # noqa: F401
from .efficientnet import EfficientNet_Lite0_Weights, EfficientNetLite0, MBConvBlock, efficientnet_lite0  # noqa: F401

# The public names, listed for `a star import` and for type checkers (mypy --strict re-exports
# only listed names); tests/test_public_all.py keeps the list complete.
__all__ = ["bleu", "BOS", "CharRNN", "efficientnet_lite0", "EfficientNet_Lite0_Weights", "EfficientNetLite0", "EOS", "feature_extraction", "ImageCaptioner", "ImageClassification",
           "imagenet_categories", "InvertedResidual", "load_torch_state_dict", "MBConvBlock", "mobilenet_v2",
           "MobileNet_V2_Weights", "MobileNetV2", "PAD", "Seq2Seq", "SPECIALS", "style_loss", "style_transfer", "UNK"]
