from .problem import *
