import * as tf from '@tensorflow/tfjs-core';
console.log(tf.slice_util.sliceInfo([2, 2, 2], [0, 1, 0], [2, 2, 2], [1, 1, 2], 0, 0, 0, 0, 2));
console.log(tf.slice_util.sliceInfo([5, 6], [4, 0], [0, 6], [-2, 2], 0, 0, 0, 0, 0));
console.log(tf.slice_util.sliceInfo([5, 6], [0, 0], [0, 6], [1, 2], 1, 0, 0, 1, 0));
console.log(tf.slice_util.sliceInfo([5, 6,3], [0,0], [0, 6], [1, 2], 1, 0, 1, 0, 0));
