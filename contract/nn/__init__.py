"""Neural-network building blocks: Module, Parameter, layers and ``functional``.

>>> import contract as ct
>>> import contract.nn.functional as F
>>> layer = ct.nn.Linear(4, 2)
>>> sorted(name for name, _ in layer.named_parameters())
['bias', 'weight']
"""
from contract.nn import functional
from contract.nn.layers import (AvgPool2d, Conv1d, Conv2d, Conv3d, Flatten, MaxPool2d, ReLU,
                                Sequential, SumPool2d)
from contract.nn.modules import Linear, Module, Parameter
from contract.nn.training import (BatchNorm1d, BatchNorm2d, CrossEntropyLoss, Dropout, LayerNorm,
                                  MSELoss, Softmax)

__all__ = ["AvgPool2d", "Conv1d", "Conv2d", "Conv3d", "Flatten", "Linear", "MaxPool2d", "Module",
           "Parameter", "ReLU", "Sequential", "SumPool2d", "functional",
           "BatchNorm1d", "BatchNorm2d", "CrossEntropyLoss", "Dropout", "LayerNorm", "MSELoss",
           "Softmax"]
