"""Dynamic prediction from serial marker draws: stacked landmark data, landmark supermodels
and their performance per landmark."""

from .performance import DynamicPerformanceResult, dynamic_performance
from .stacking import landmark_stack
from .supermodel import LandmarkPredictionResult, LandmarkSupermodelResult, landmark_supermodel

__all__ = ["DynamicPerformanceResult", "dynamic_performance", "LandmarkPredictionResult", "LandmarkSupermodelResult", "landmark_stack",
           "landmark_supermodel"]
