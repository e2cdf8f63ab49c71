"""An AlexNet-style baseline for the same images: five convolutions, three pools, three dense
layers (the shape of Krizhevsky et al.'s network, scaled to 28x28 inputs), to measure SqueezeNet's
parameter saving against on the same data, as the paper does against AlexNet on ImageNet."""
import keras


def alexnet(input_shape=(28, 28, 1), num_classes=10, width=1.0, dense=512, dropout=0.5, name='alexnet'):
    """Build the baseline (logits out).

    Args:
        input_shape: (height, width, channels) of the image.
        num_classes: outputs.
        width: multiplier of the convolution filter counts (32, 64, 96, 96, 64).
        dense: units of each of the two hidden dense layers.
        dropout: rate before each hidden dense layer.
        name: model name.
    """
    f = [int(n * width) for n in (32, 64, 96, 96, 64)]
    conv = dict(padding='same', activation='relu', kernel_initializer='he_normal')
    inputs = keras.Input(input_shape, name='image')
    x = keras.layers.Conv2D(f[0], 5, name='conv1', **conv)(inputs)
    x = keras.layers.MaxPooling2D(2, name='pool1')(x)
    x = keras.layers.Conv2D(f[1], 5, name='conv2', **conv)(x)
    x = keras.layers.MaxPooling2D(2, name='pool2')(x)
    x = keras.layers.Conv2D(f[2], 3, name='conv3', **conv)(x)
    x = keras.layers.Conv2D(f[3], 3, name='conv4', **conv)(x)
    x = keras.layers.Conv2D(f[4], 3, name='conv5', **conv)(x)
    x = keras.layers.MaxPooling2D(2, name='pool5')(x)
    x = keras.layers.Flatten(name='flatten')(x)
    for i in (6, 7):
        x = keras.layers.Dropout(dropout, name=f'dropout{i}')(x)
        x = keras.layers.Dense(dense, activation='relu', kernel_initializer='he_normal', name=f'fc{i}')(x)
    x = keras.layers.Dense(num_classes, name='logits')(x)
    return keras.Model(inputs, x, name=name)
