/// The sizes every part of the program agrees on, named once: a digit is a 28x28 grayscale
/// picture (784 network inputs, row-major); the digits network answers with 10 classes, 0 to
/// 9 (other data sets give the network their own count: `SeedNetwork.classes`).
/// Inlinable constants, so the image loops of other modules still see a literal.
public enum MNISTShape {
  /// Width and height of one digit.
  @inlinable public static var side: Int { 28 }
  /// Network inputs per digit (`side * side`).
  @inlinable public static var pixels: Int { 784 }
  /// Classes the digits network tells apart (MNIST, Fashion-MNIST).
  @inlinable public static var classes: Int { 10 }
}
