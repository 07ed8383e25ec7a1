# The real-page UNet: the tiny UNet (unet_tiny.py) with 5 levels instead of 4.
# Every level costs about the same (half the size, twice the channels), and
# the extra level doubles the receptive field (~200 px), the context that
# tells a marginal comment from main text at full resolution.
_base_ = ['./unet_tiny.py']
model = dict(
    backbone=dict(
        base_channels=16,
        num_stages=5,
        strides=(1, 1, 1, 1, 1),
        enc_num_convs=(2, 2, 2, 2, 2),
        dec_num_convs=(2, 2, 2, 2),
        downsamples=(True, True, True, True),
        enc_dilations=(1, 1, 1, 1, 1),
        dec_dilations=(1, 1, 1, 1)),
    decode_head=dict(in_channels=16, in_index=4, channels=16))
