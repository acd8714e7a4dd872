# Export the real serial-count data sets used by the longitudinal references.
# Run from tests/reference/longitudinal/: Rscript export_data.R
suppressPackageStartupMessages({library(MASS); library(glmmTMB)})
RNGkind("Mersenne-Twister")
e <- MASS::epil
e$trt <- as.integer(e$trt == "progabide")
e$weeks <- 2
write.csv(e[, c("subject", "period", "y", "weeks", "trt", "lbase", "lage")],
          "inputs/epil.csv", row.names = FALSE)
# Owls (Roulin & Bersier 2007; glmmTMB paper): sibling negotiations counted at each parent
# arrival per nest, brood size as exposure -- serial counts with an exposure, as CTC per mL.
o <- glmmTMB::Owls
o <- data.frame(nest = as.character(o$Nest), arrival = o$ArrivalTime - 24,
                count = o$SiblingNegotiation, brood_size = o$BroodSize,
                satiated = as.integer(o$FoodTreatment == "Satiated"),
                male = as.integer(o$SexParent == "Male"))
write.csv(o, "inputs/owls.csv", row.names = FALSE)
