"""Reading the PPM (P6) pictures the display tests look at (wirebox's
screendump, ImageMagick's conversions, which may carry comments)."""


def read_ppm(path):
    """(width, height, pixels): pixels are bytes, 3 a pixel, row after row."""
    data = open(path, 'rb').read()
    fields, pos = [], 0
    while len(fields) < 4:
        while data[pos:pos + 1].isspace():
            pos += 1
        if data[pos:pos + 1] == b'#':
            pos = data.index(b'\n', pos) + 1
            continue
        end = pos
        while not data[end:end + 1].isspace():
            end += 1
        fields.append(data[pos:end])
        pos = end
    if fields[0] != b'P6' or int(fields[3]) != 255:
        raise ValueError(f'{path}: not an 8-bit P6 PPM')
    w, h = int(fields[1]), int(fields[2])
    pix = data[pos + 1:pos + 1 + w * h * 3]
    if len(pix) != w * h * 3:
        raise ValueError(f'{path}: truncated')
    return w, h, pix
