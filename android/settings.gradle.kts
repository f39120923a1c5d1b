// The idwallet Android library, buildable on its own: `./gradlew :assembleRelease` after
// `./build-android.sh` has placed the native libraries in src/main/jniLibs.
pluginManagement {
    repositories {
        google()
        mavenCentral()
        gradlePluginPortal()
    }
}
dependencyResolutionManagement {
    repositories {
        google()
        mavenCentral()
    }
}
rootProject.name = "idwallet"
