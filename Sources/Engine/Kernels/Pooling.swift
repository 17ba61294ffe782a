/// Pooling windows reuse the convolution geometry with one group per channel.
enum Pooling {
    /// Output pixels split across threads: each writes only its own outputs.
    static func forEachOutputPixel(_ g: ConvolutionGeometry, _ body: (Int) -> Void) {
        let pixels = g.batch * g.outHeight * g.outWidth
        Parallel.forEach(pixels, work: pixels * g.inChannels * g.kernel * g.kernel, minimumWork: Elementwise.minimumParallelCount) { range in
            for pixel in range { body(pixel) }
        }
    }

    /// Output pixels split by image: windows overlap within an image, never across images.
    static func forEachImage(_ g: ConvolutionGeometry, _ body: (Int) -> Void) {
        let perImage = g.outHeight * g.outWidth
        Parallel.forEach(g.batch, work: g.batch * perImage * g.inChannels * g.kernel * g.kernel,
                         minimumWork: Elementwise.minimumParallelCount) { images in
            for pixel in images.lowerBound * perImage..<images.upperBound * perImage { body(pixel) }
        }
    }
}
